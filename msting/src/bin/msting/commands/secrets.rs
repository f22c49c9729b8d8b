//! `msting secrets rotate NAME`: a new value for a generated secret, taken up by the running
//! stack without a failed request (see `rotate` for how the database login manages that).

use clap::{Args, Subcommand};
use serde_json::json;

use crate::global::{GlobalArgs, exit};
use msting::output::{GOOD, Output};
use msting::{db_admin, rotate, vault_access};

/// Rotate the stack's generated secrets
#[derive(Debug, Args)]
pub struct SecretsArgs {
    #[command(subcommand)]
    pub command: SecretsCommand,
}

#[derive(Debug, Subcommand)]
pub enum SecretsCommand {
    /// Replace a generated secret: `database` (stingd's database login, changed in PostgreSQL
    /// and Vault together), `session-key`, `cookie-key`
    Rotate {
        #[arg(value_parser = clap::builder::PossibleValuesParser::new(rotate::ROTATABLE))]
        name: String,
        /// How long running services get to take up a new database login before the previous
        /// one is retired (they look every 5 seconds)
        #[arg(long, default_value = "15s", value_parser = humantime::parse_duration)]
        settle: std::time::Duration,
    },
}

pub fn exec(global: &GlobalArgs, out: &Output, args: SecretsArgs) -> anyhow::Result<u8> {
    let config = super::load_config(global, out)?;
    let SecretsCommand::Rotate { name, settle } = args.command;
    vault_access::runtime()?.block_on(async {
        // The database is checked for before Vault is touched: a refusal changes nothing.
        let sql = if name == "database" { Some(db_admin::connect(&config).await?) } else { None };
        let vault = vault_access::operator(&config).await?;
        let mount = &config.vault.kv_mount;
        let rotated = match (name.as_str(), sql) {
            ("database", Some(sql)) => {
                rotate::rotate_database_login(&vault, mount, &sql, &config.database.user, settle, |line| out.note(line))
                    .await?
            }
            ("session-key", _) => rotate::rotate_key(&vault, mount, "session_key").await?,
            ("cookie-key", _) => rotate::rotate_key(&vault, mount, "cookie_key").await?,
            _ => unreachable!("clap accepts only the rotatable names"),
        };
        if out.json {
            out.json(&json!(rotated))?;
        } else {
            match (&rotated.login, &rotated.retired) {
                (Some(login), Some(retired)) => out.note(format!(
                    "{GOOD}rotated{GOOD:#} the database login: stingd now uses {login}; {retired} is retired"
                )),
                _ => out.note(format!("{GOOD}rotated{GOOD:#} {} (version {})", rotated.name, rotated.version)),
            }
        }
        Ok(exit::OK)
    })
}
