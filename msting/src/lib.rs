//! msting, the STING-CE operator CLI: a thin command layer (`commands/`, one file per
//! subcommand) over library modules where the logic lives and is tested.

pub mod backup;
pub mod cli;
pub mod commands;
pub mod cron;
pub mod db_admin;
pub mod docker;
pub mod doctor;
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
