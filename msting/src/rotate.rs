//! `msting secrets rotate`: replacing a generated secret without stopping anything.
//!
//! The database login is the delicate one: PostgreSQL keeps one password per role, and a
//! running stingd opens new connections at any moment. So two logins alternate
//! (`<owner>_a`, `<owner>_b`), both acting as the owner role (`database.user`, which owns the
//! tables): the idle login gets a new password, Vault then names it, stingd (which looks every
//! few seconds) opens new connections with it, and only after that settling time does the
//! previous login lose its password. Connections already open are never cut.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::Serialize;
use sting_vault::{Secret, Vault, kv};

use crate::db_admin::{DbAdmin, identifier, literal, scram_verifier};

/// Where stingd's database login is kept.
pub const DATABASE_LOGIN_PATH: &str = "database/stingd";

/// The secrets that can be rotated, by the name the command takes.
pub const ROTATABLE: &[&str] = &["database", "session-key", "cookie-key"];

#[derive(Debug, Serialize)]
pub struct Rotated {
    pub name: String,
    /// For the database: the login now in use and the one retired.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub login: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retired: Option<String>,
    pub version: u32,
}

/// A new random value for one of stingd's keys (`stingd/keys`), keeping the other.
pub async fn rotate_key(vault: &Vault, mount: &str, key: &str) -> anyhow::Result<Rotated> {
    let version = kv::version(vault, mount, "stingd/keys").await?;
    let mut values = kv::get(vault, mount, "stingd/keys").await?.unwrap_or_default();
    values.insert(key.to_string(), Secret::generate(32));
    let version = kv::put(vault, mount, "stingd/keys", &values, Some(version)).await?;
    Ok(Rotated { name: key.replace('_', "-"), login: None, retired: None, version })
}

/// Moves stingd to the other login with a new password (see the module's description).
/// `settle` is how long stingd gets to notice before the previous login is retired.
pub async fn rotate_database_login(
    vault: &Vault,
    mount: &str,
    sql: &DbAdmin,
    owner: &str,
    settle: Duration,
    progress: impl Fn(&str),
) -> anyhow::Result<Rotated> {
    let version = kv::version(vault, mount, DATABASE_LOGIN_PATH).await?;
    let current = kv::get(vault, mount, DATABASE_LOGIN_PATH).await?.unwrap_or_default();
    let previous = current.get("username").map(|u| u.expose().to_string()).unwrap_or_else(|| owner.to_string());
    let (a, b) = (format!("{owner}_a"), format!("{owner}_b"));
    let next = if previous == a { b } else { a };
    let password = Secret::generate(32);

    // The idle login gets its new password first: until Vault names it, nobody uses it.
    sql.run(&format!(
        "DO $$BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = {next_literal}) THEN CREATE ROLE {next_id}; END IF; END$$;\n\
         GRANT {owner_id} TO {next_id};\n\
         ALTER ROLE {next_id} SET role = {owner_literal};\n\
         ALTER ROLE {next_id} WITH LOGIN PASSWORD {verifier};\n",
        next_literal = literal(&next),
        next_id = identifier(&next),
        owner_id = identifier(owner),
        owner_literal = literal(owner),
        verifier = literal(&scram_verifier(&password)),
    ))
    .await?;
    let values: BTreeMap<String, Secret> =
        [("username".to_string(), Secret::new(next.clone())), ("password".to_string(), password)].into();
    let version = kv::put(vault, mount, DATABASE_LOGIN_PATH, &values, Some(version)).await?;
    progress(&format!("Vault now names {next}; waiting {}s for stingd to take it up", settle.as_secs()));
    tokio::time::sleep(settle).await;

    // The previous login can no longer start connections; those it has stay open.
    let discarded = Secret::generate(32);
    sql.run(&format!("ALTER ROLE {} WITH PASSWORD {};\n", identifier(&previous), literal(&scram_verifier(&discarded))))
        .await?;
    Ok(Rotated { name: "database".into(), login: Some(next), retired: Some(previous), version })
}
