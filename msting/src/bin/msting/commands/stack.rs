//! `msting stack`: the stack msting would install from this config, as data.

use clap::{Args, Subcommand};

use crate::global::{GlobalArgs, exit};
use msting::output::Output;
use msting::stack::{compose, spec};

/// The stack this config describes
#[derive(Debug, Args)]
pub struct StackArgs {
    #[command(subcommand)]
    pub command: StackCommand,
}

#[derive(Debug, Subcommand)]
pub enum StackCommand {
    /// Print the reference compose file for this config (to read or adapt; not an installer)
    Compose,
    /// Print each service's spec and its hash (`--json` for all of it)
    Spec,
}

pub fn exec(global: &GlobalArgs, out: &Output, args: StackArgs) -> anyhow::Result<u8> {
    let config = super::load_config(global, out)?;
    let stack = spec::desired(&config);
    match args.command {
        StackCommand::Compose => print!("{}", compose::render(&stack)),
        StackCommand::Spec if out.json => out.json(&stack)?,
        StackCommand::Spec => {
            for service in &stack.services {
                out.result(format!(
                    "{:<8} {}  {}",
                    service.name,
                    &msting::stack::containers::spec_hash(&stack, service)[..12],
                    service.image
                ));
            }
        }
    }
    Ok(exit::OK)
}
