//! msting, the STING-CE operator CLI, as a library: what the commands do (installing, Vault's
//! set-up, TLS, backups, health, ...), tested here. The commands themselves (their arguments
//! and how they present results) are the binary's (`src/bin/msting/commands`), as cargo's are:
//! this library cannot name them.

pub mod backup;
pub mod config_file;
pub mod cron;
pub mod db_admin;
pub mod docker;
pub mod doctor;
pub mod first_config;
pub mod fsio;
pub mod health;
pub mod images;
pub mod install;
pub mod models;
pub mod output;
pub mod preflight;
pub mod progress;
pub mod provider_secrets;
pub mod recipes;
pub mod rotate;
pub mod shares;
pub mod stack;
pub mod support_bundle;
pub mod tls;
pub mod update;
pub mod vault_access;
pub mod vault_setup;
