//! What every subcommand shares: the global options and the documented exit codes.

use std::path::PathBuf;

use clap::Args;

/// Documented exit codes (see the operator guide). `msting health` uses its own, the
/// monitoring-plugin convention.
pub mod exit {
    /// Success.
    pub const OK: u8 = 0;
    /// The command ran and found a problem (an invalid config, a failed step).
    pub const FAILURE: u8 = 1;
    /// The command line itself was wrong.
    pub const USAGE: u8 = 2;
    /// A backup was written but left something out (restic's code).
    pub const INCOMPLETE: u8 = 3;
}

/// Options every subcommand accepts.
#[derive(Debug, Clone, Args)]
pub struct GlobalArgs {
    /// The stack's config file [default: INSTALL_DIR/conf/config.yml]
    #[arg(long, global = true, value_name = "FILE", env = "STING_CONFIG")]
    pub config: Option<PathBuf>,
    /// Where the stack is installed [default: /opt/sting-ce]
    #[arg(long, global = true, value_name = "DIR", env = "STING_INSTALL_DIR")]
    pub install_dir: Option<PathBuf>,
    /// Print machine-readable JSON on stdout
    #[arg(long, global = true)]
    pub json: bool,
    /// Answer yes to every confirmation (for scripts)
    #[arg(long, short = 'y', global = true)]
    pub yes: bool,
    /// Print only errors
    #[arg(long, short = 'q', global = true, conflicts_with = "verbose")]
    pub quiet: bool,
    /// Print more detail (repeat for more)
    #[arg(long, short = 'v', global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    /// Never colour the output (also: the NO_COLOR environment variable)
    #[arg(long, global = true)]
    pub no_color: bool,
}

/// The install directory when neither `--install-dir` nor `STING_INSTALL_DIR` names one.
pub const DEFAULT_INSTALL_DIR: &str = "/opt/sting-ce";

impl GlobalArgs {
    pub fn output_settings(&self) -> msting::output::Settings {
        msting::output::Settings {
            json: self.json,
            quiet: self.quiet,
            verbose: self.verbose,
            assume_yes: self.yes,
            no_color: self.no_color,
        }
    }

    pub fn install_dir(&self) -> PathBuf {
        self.install_dir.clone().unwrap_or_else(|| DEFAULT_INSTALL_DIR.into())
    }

    /// The config file to use: `--config`, else the one in the install directory.
    pub fn config_path(&self) -> PathBuf {
        self.config.clone().unwrap_or_else(|| self.install_dir().join("conf/config.yml"))
    }

    /// Values from the command line and environment that take precedence over the file.
    /// `--install-dir` (or `STING_INSTALL_DIR`) overrides `paths.install_dir`.
    pub fn config_overrides(&self) -> sting_config::Overrides {
        let mut overrides = sting_config::Overrides::from_process_env();
        if let Some(dir) = &self.install_dir {
            overrides.set("STING_INSTALL_DIR", dir.to_string_lossy());
        }
        overrides
    }
}
