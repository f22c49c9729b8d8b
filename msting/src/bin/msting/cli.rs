//! The command line: global options, the subcommand tree, and turning a command's outcome into
//! an exit code. Each subcommand's arguments live in its own file under `commands/`.

use std::ffi::OsString;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

use crate::commands;
use msting::output::Output;

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

/// Install, run and operate a STING-CE stack.
#[derive(Debug, Parser)]
#[command(name = "msting", version, propagate_version = true, max_term_width = 100)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
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

#[derive(Debug, Subcommand)]
pub enum Command {
    Install(commands::install::InstallArgs),
    Start(commands::start::ServicesArgs),
    /// Stop the stack's services (all, or those named); data stays
    Stop(commands::start::ServicesArgs),
    /// Restart the stack's services (all, or those named)
    Restart(commands::start::ServicesArgs),
    Status(commands::status::StatusArgs),
    Health(commands::health::HealthArgs),
    Cron(commands::cron::CronArgs),
    Doctor(commands::doctor::DoctorArgs),
    SupportBundle(commands::support_bundle::SupportBundleArgs),
    Logs(commands::logs::LogsArgs),
    Update(commands::update::UpdateArgs),
    Config(commands::config::ConfigArgs),
    Vault(commands::vault::VaultArgs),
    Unseal(commands::unseal::UnsealArgs),
    VaultSecret(commands::vault_secret::VaultSecretArgs),
    EncryptionKeys(commands::encryption_keys::EncryptionKeysArgs),
    Secrets(commands::secrets::SecretsArgs),
    SetupSsl(commands::setup_ssl::SetupSslArgs),
    Certs(commands::certs::CertsArgs),
    Preflight(commands::preflight::PreflightArgs),
    CheckPorts(commands::preflight::CheckPortsArgs),
    Stack(commands::stack::StackArgs),
    Models(commands::models::ModelsArgs),
    Uninstall(commands::uninstall::UninstallArgs),
    ResetAuth(commands::reset_auth::ResetAuthArgs),
    Backup(commands::backup::BackupArgs),
    Restore(commands::restore::RestoreArgs),
    Images(commands::images::ImagesArgs),
    Completions(commands::completions::CompletionsArgs),
}

/// `msting health`'s exit code for UNKNOWN, which its usage errors get too.
const HEALTH_UNKNOWN: u8 = 3;

/// Whether the first word after the options is `health`.
fn names_health(args: &[OsString]) -> bool {
    let mut words = args.iter().skip(1).map(|a| a.to_string_lossy());
    while let Some(word) = words.next() {
        match word.as_ref() {
            "--config" | "--install-dir" => {
                words.next();
            }
            w if w.starts_with('-') => {}
            w => return w == "health",
        }
    }
    false
}

/// Parses `args`, runs the command, and reports its outcome. Errors are printed here, once.
pub fn run(args: impl IntoIterator<Item = impl Into<OsString> + Clone>) -> ExitCode {
    let args: Vec<OsString> = args.into_iter().map(Into::into).collect();
    let cli = match Cli::try_parse_from(&args) {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            // A monitoring system reads 2 as CRITICAL: a mistyped health command is UNKNOWN.
            let usage = if names_health(&args) { HEALTH_UNKNOWN } else { exit::USAGE };
            return ExitCode::from(if e.use_stderr() { usage } else { exit::OK });
        }
    };
    let out = Output::new(&cli.global.output_settings());
    let outcome = match cli.command {
        Command::Install(args) => commands::install::exec(&cli.global, &out, args),
        Command::Start(args) => commands::start::exec(&cli.global, &out, args, msting::stack::lifecycle::Action::Start),
        Command::Stop(args) => commands::start::exec(&cli.global, &out, args, msting::stack::lifecycle::Action::Stop),
        Command::Restart(args) => {
            commands::start::exec(&cli.global, &out, args, msting::stack::lifecycle::Action::Restart)
        }
        Command::Status(args) => commands::status::exec(&cli.global, &out, args),
        Command::Health(args) => commands::health::exec(&cli.global, &out, args),
        Command::Cron(args) => commands::cron::exec(&cli.global, &out, args),
        Command::SupportBundle(args) => commands::support_bundle::exec(&cli.global, &out, args),
        Command::Doctor(args) => commands::doctor::exec(&cli.global, &out, args),
        Command::Logs(args) => commands::logs::exec(&cli.global, &out, args),
        Command::Update(args) => commands::update::exec(&cli.global, &out, args),
        Command::Config(args) => commands::config::exec(&cli.global, &out, args),
        Command::Vault(args) => commands::vault::exec(&cli.global, &out, args),
        Command::Unseal(args) => commands::unseal::exec(&cli.global, &out, args),
        Command::VaultSecret(args) => commands::vault_secret::exec(&cli.global, &out, args),
        Command::EncryptionKeys(args) => commands::encryption_keys::exec(&cli.global, &out, args),
        Command::Secrets(args) => commands::secrets::exec(&cli.global, &out, args),
        Command::SetupSsl(args) => commands::setup_ssl::exec(&cli.global, &out, args),
        Command::Certs(args) => commands::certs::exec(&cli.global, &out, args),
        Command::Preflight(args) => commands::preflight::exec(&cli.global, &out, args),
        Command::CheckPorts(args) => commands::preflight::exec_ports(&cli.global, &out, args),
        Command::Stack(args) => commands::stack::exec(&cli.global, &out, args),
        Command::Models(args) => commands::models::exec(&cli.global, &out, args),
        Command::Uninstall(args) => commands::uninstall::exec(&cli.global, &out, args),
        Command::Backup(args) => commands::backup::exec(&cli.global, &out, args),
        Command::Restore(args) => commands::restore::exec(&cli.global, &out, args),
        Command::ResetAuth(args) => commands::reset_auth::exec(&cli.global, &out, args),
        Command::Images(args) => commands::images::exec(&cli.global, &out, args),
        Command::Completions(args) => commands::completions::exec(&out, args),
    };
    match outcome {
        Ok(code) => ExitCode::from(code),
        Err(error) => {
            out.error(&error);
            ExitCode::from(exit::FAILURE)
        }
    }
}
