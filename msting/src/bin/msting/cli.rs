//! The command line: the subcommand tree, and turning a command's outcome into an exit code.
//! Each subcommand's arguments live in its own file under `commands/`; the options every one
//! takes, and the exit codes, in `global`.

use std::ffi::OsString;
use std::process::ExitCode;

use clap::{CommandFactory, Parser, Subcommand};

use crate::commands;
use crate::global::{GlobalArgs, exit};
use msting::output::Output;

/// Install, run and operate a STING-CE stack.
#[derive(Debug, Parser)]
#[command(name = "msting", version, propagate_version = true, max_term_width = 100)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
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
        Command::Completions(args) => commands::completions::exec(&out, args, Cli::command()),
    };
    match outcome {
        Ok(code) => ExitCode::from(code),
        Err(error) => {
            out.error(&error);
            ExitCode::from(exit::FAILURE)
        }
    }
}
