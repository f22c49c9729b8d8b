//! `msting completions SHELL`: the shell completion script, generated from the command tree.
//! The copies in the repository's `completions/` folder are kept current by a test.

use clap::{Args, CommandFactory};
use clap_complete::Shell;

use crate::cli::{Cli, exit};
use msting::output::Output;

/// Print the completion script for a shell (bash, zsh, fish, ...)
#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to complete for
    pub shell: Shell,
}

pub fn exec(_out: &Output, args: CompletionsArgs) -> anyhow::Result<u8> {
    std::io::Write::write_all(&mut std::io::stdout(), &script(args.shell))?;
    Ok(exit::OK)
}

/// The completion script for `shell`.
pub fn script(shell: Shell) -> Vec<u8> {
    let mut buf = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "msting", &mut buf);
    buf
}
