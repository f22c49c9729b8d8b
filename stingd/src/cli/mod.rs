//! stingd's subcommands (the argument definitions are in `main.rs`), each returning
//! `anyhow::Result`, and [`exit`], the one place a failure is printed and becomes an exit code.

pub mod admin;
pub mod db;
pub mod pii;
pub mod probe;
pub mod serve;

use std::process::ExitCode;

/// A failure already told on stderr (a config's diagnostics): nothing more to print.
#[derive(Debug, thiserror::Error)]
#[error("reported above")]
pub struct Reported;

/// A failure that starts `unhealthy:`, as the container health check reports.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct Unhealthy(pub String);

/// What was to be made exists already (`stingd admin create` for an address with an account):
/// exit code [`EXIT_EXISTS`], which msting acts on instead of reading the message.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct AlreadyExists(pub String);

/// The exit code of [`AlreadyExists`] (1 is any other failure, 2 a wrong command line).
pub const EXIT_EXISTS: u8 = 3;

/// The exit of every command that runs on the runtime: its error, with its causes, on stderr.
pub fn exit(result: anyhow::Result<()>) -> ExitCode {
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if e.is::<Reported>() => ExitCode::FAILURE,
        Err(e) if e.is::<AlreadyExists>() => {
            eprintln!("error: {e}");
            ExitCode::from(EXIT_EXISTS)
        }
        Err(e) if e.is::<Unhealthy>() => {
            eprintln!("unhealthy: {e}");
            ExitCode::FAILURE
        }
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// The config, or its diagnostics (file, line and key) on stderr.
pub fn load(file: &std::path::Path) -> anyhow::Result<sting_config::Config> {
    match sting_config::load_file(file, &sting_config::Overrides::from_process_env()) {
        Ok(loaded) => Ok(loaded.config),
        Err(diagnostics) => {
            eprintln!("{diagnostics}");
            Err(Reported.into())
        }
    }
}

pub fn check_config(file: &std::path::Path) -> anyhow::Result<()> {
    let c = load(file)?;
    println!(
        "{}: valid (version {}); {} model(s), default `{}`; HTTPS on {}:{}",
        file.display(),
        c.version,
        c.llm.models.len(),
        c.llm.default_model.as_deref().unwrap_or("none"),
        c.system.bind_address,
        c.services.stingd.https_port
    );
    Ok(())
}
