//! stingd, the STING-CE daemon. This release carries only what the foundation needs: it reads
//! the stack's config through the shared `sting-config` crate, exactly as msting does. Serving
//! (the gateway, identity, Honey Jars) arrives command by command.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// The STING-CE daemon: HTTPS entry point, API and inference supervisor
#[derive(Debug, Parser)]
#[command(name = "stingd", version)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Check the config stingd would start with, and report every problem with its line
    CheckConfig {
        /// The stack's config file
        #[arg(long, value_name = "FILE", env = "STING_CONFIG", default_value = "/opt/sting-ce/conf/config.yml")]
        config: PathBuf,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::CheckConfig { config } => check_config(&config),
    }
}

fn check_config(file: &std::path::Path) -> ExitCode {
    match sting_config::load_file(file, &sting_config::Overrides::from_process_env()) {
        Ok(loaded) => {
            let c = &loaded.config;
            println!(
                "{}: valid (version {}); {} model(s), default `{}`; HTTPS on {}:{}",
                file.display(),
                c.version,
                c.llm.models.len(),
                c.llm.default_model.as_deref().unwrap_or("none"),
                c.system.bind_address,
                c.services.stingd.https_port
            );
            ExitCode::SUCCESS
        }
        Err(diagnostics) => {
            eprintln!("{diagnostics}");
            ExitCode::FAILURE
        }
    }
}
