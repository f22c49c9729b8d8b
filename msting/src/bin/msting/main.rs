//! The `msting` command: its arguments and subcommands (`cli`, `commands/`), over the library.

mod cli;
mod commands;
mod global;

use std::process::ExitCode;

fn main() -> ExitCode {
    cli::run(std::env::args_os())
}
