//! `msting completions SHELL`: the shell completion script, generated from the command tree.
//! The copies in the repository's `completions/` folder are kept current by a test.

use clap::Args;
use clap_complete::Shell;

use crate::global::exit;
use msting::output::Output;

/// Print the completion script for a shell (bash, zsh, fish, ...)
#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to complete for
    pub shell: Shell,
}

/// `tree` is msting's whole command tree (the command line's, which this module cannot name).
pub fn exec(_out: &Output, args: CompletionsArgs, mut tree: clap::Command) -> anyhow::Result<u8> {
    let mut script = Vec::new();
    clap_complete::generate(args.shell, &mut tree, "msting", &mut script);
    std::io::Write::write_all(&mut std::io::stdout(), &script)?;
    Ok(exit::OK)
}
