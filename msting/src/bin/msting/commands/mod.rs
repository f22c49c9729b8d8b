//! One module per subcommand, as cargo's: each declares its arguments (`...Args`), turns them
//! into calls to the library (`exec`), and presents the result.

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

use crate::global::GlobalArgs;
use msting::output::Output;

/// The stack's config, or its problems printed and an error.
pub(crate) fn load_config(global: &GlobalArgs, out: &Output) -> anyhow::Result<sting_config::Config> {
    msting::config_file::load(&global.config_path(), &global.config_overrides(), out)
}
