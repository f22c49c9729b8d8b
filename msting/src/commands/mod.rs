//! One module per subcommand: each declares its arguments and turns them into calls to library
//! code, then presents the result. No logic worth testing on its own lives here.

pub mod backup;
pub mod certs;
pub mod completions;
pub mod config;
pub mod cron;
pub mod doctor;
pub mod encryption_keys;
pub mod health;
pub mod images;
pub mod install;
pub mod logs;
pub mod models;
pub mod preflight;
pub mod reset_auth;
pub mod restore;
pub mod secrets;
pub mod setup_ssl;
pub mod stack;
pub mod start;
pub mod status;
pub mod support_bundle;
pub mod uninstall;
pub mod unseal;
pub mod update;
pub mod vault;
pub mod vault_secret;

use crate::cli::GlobalArgs;
use crate::output::Output;

/// The stack's config, or its problems printed and an error.
pub(crate) fn load_config(global: &GlobalArgs, out: &Output) -> anyhow::Result<sting_config::Config> {
    load_config_file(&global.config_path(), &global.config_overrides(), out)
}

/// The config in `file`, or its problems printed and an error.
pub(crate) fn load_config_file(
    file: &std::path::Path,
    overrides: &sting_config::Overrides,
    out: &Output,
) -> anyhow::Result<sting_config::Config> {
    match sting_config::load_file(file, overrides) {
        Ok(loaded) => Ok(loaded.config),
        Err(diagnostics) => {
            config::report(out, &diagnostics)?;
            anyhow::bail!("{} has problems (above): fix them, then run this again", file.display())
        }
    }
}
