//! PostgreSQL: the connection pool, the embedded migrations, and the rule that keeps an upgrade
//! reversible.
//!
//! Migrations only expand (add tables, columns, indexes) so that the previous release still runs
//! on the new schema and a rollback is just starting the older binary. Removing or renaming is a
//! *contract* migration, shipped a release after the code stopped using what it removes. Each
//! migration declares, on its first line, the oldest schema version whose code can still run on
//! it (`-- min_reader: N`); stingd records that in `sting_schema_compat`, and refuses to start on
//! a database whose migrations demand a newer reader than itself.

use std::time::Duration;

use serde::Serialize;
use sqlx::migrate::Migrator;
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};

/// The migrations compiled into this binary (`stingd/migrations/`). Migrations applied by a
/// newer release that this binary does not carry are accepted (that is what expand-only makes
/// safe); `check_compatible` decides whether this binary may run alongside them.
pub fn migrations() -> Migrator {
    let mut migrator = sqlx::migrate!("./migrations");
    migrator.set_ignore_missing(true);
    migrator
}

/// The variable that holds the database URL for a standalone run. It carries a password, so it
/// is never a command-line flag and never part of the config file.
pub const DATABASE_URL_VAR: &str = "STING_DATABASE_URL";

#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("cannot connect to PostgreSQL at {target}: {source}")]
    Connect { target: String, source: sqlx::Error },
    #[error(
        "the database's schema needs stingd of schema version {needed} or newer, and this stingd knows version {known}: \
         a newer release has migrated it. Run that release, or restore the backup taken before the upgrade"
    )]
    NewerSchema { needed: i64, known: i64 },
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("database query failed: {0}")]
    Query(#[from] sqlx::Error),
    #[error("migration {version} has no `-- min_reader: N` first line")]
    UndeclaredCompatibility { version: i64 },
}

/// Where the schema stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SchemaStatus {
    /// The newest migration this binary carries.
    pub known: i64,
    /// Migrations applied to the database, oldest first.
    pub applied: Vec<i64>,
    /// The oldest schema version whose code may run on this database.
    pub min_reader: i64,
}

/// The newest schema version this binary knows.
pub fn known_version() -> i64 {
    migrations().iter().map(|m| m.version).max().unwrap_or(0)
}

/// The `-- min_reader: N` a migration declares.
pub fn min_reader(sql: &str) -> Option<i64> {
    sql.lines().next()?.trim().strip_prefix("-- min_reader:")?.trim().parse().ok()
}

/// A pool that checks each connection before use, so a database restart costs the requests
/// in flight at that moment and nothing after: stale connections are replaced, not returned.
pub async fn connect(url: &str, pool_size: u32, connect_timeout: Duration) -> Result<PgPool, DbError> {
    PgPoolOptions::new()
        .max_connections(pool_size)
        .acquire_timeout(connect_timeout)
        .test_before_acquire(true)
        .connect(url)
        .await
        .map_err(|source| DbError::Connect { target: redact(url), source })
}

/// A database login (from Vault, which stingd follows for rotations).
#[derive(Clone, PartialEq, Eq)]
pub struct DatabaseLogin {
    pub username: String,
    pub password: sting_vault::Secret,
}

/// The connection to the configured database with this login (from Vault).
pub fn connect_options(config: &sting_config::Config, login: &DatabaseLogin) -> PgConnectOptions {
    let database = &config.database;
    PgConnectOptions::new()
        .host(&database.host)
        .port(database.port)
        .database(&database.name)
        .username(&login.username)
        .password(login.password.expose())
}

/// [`connect`], with options rather than a URL.
pub async fn connect_with(
    options: PgConnectOptions,
    pool_size: u32,
    connect_timeout: Duration,
) -> Result<PgPool, DbError> {
    let target =
        format!("postgres://{}:{}/{}", options.get_host(), options.get_port(), options.get_database().unwrap_or(""));
    PgPoolOptions::new()
        .max_connections(pool_size)
        .acquire_timeout(connect_timeout)
        .test_before_acquire(true)
        .connect_with(options)
        .await
        .map_err(|source| DbError::Connect { target, source })
}

/// The URL without its password, for messages.
pub fn redact(url: &str) -> String {
    match url.split_once("://") {
        Some((scheme, rest)) => {
            let host = rest.rsplit_once('@').map_or(rest, |(_, host)| host);
            format!("{scheme}://{host}")
        }
        None => "the configured database".into(),
    }
}

/// Refuses a database that a newer release has contracted, then applies this binary's
/// migrations and records what each one requires of its readers.
pub async fn migrate(pool: &PgPool) -> Result<SchemaStatus, DbError> {
    check_compatible(pool).await?;
    let migrator = migrations();
    migrator.run(pool).await?;
    for migration in migrator.iter() {
        let needed =
            min_reader(&migration.sql).ok_or(DbError::UndeclaredCompatibility { version: migration.version })?;
        sqlx::query(
            "INSERT INTO sting_schema_compat (version, min_reader) VALUES ($1, $2) ON CONFLICT (version) DO NOTHING",
        )
        .bind(migration.version)
        .bind(needed)
        .execute(pool)
        .await?;
    }
    status(pool).await
}

async fn check_compatible(pool: &PgPool) -> Result<(), DbError> {
    let table: Option<String> =
        sqlx::query_scalar("SELECT to_regclass('sting_schema_compat')::text").fetch_one(pool).await?;
    if table.is_none() {
        return Ok(()); // a new database
    }
    let needed: Option<i64> =
        sqlx::query_scalar("SELECT max(min_reader) FROM sting_schema_compat").fetch_one(pool).await?;
    let known = known_version();
    match needed {
        Some(needed) if needed > known => Err(DbError::NewerSchema { needed, known }),
        _ => Ok(()),
    }
}

pub async fn status(pool: &PgPool) -> Result<SchemaStatus, DbError> {
    let has_table: Option<String> =
        sqlx::query_scalar("SELECT to_regclass('_sqlx_migrations')::text").fetch_one(pool).await?;
    let applied: Vec<i64> = if has_table.is_some() {
        sqlx::query_scalar("SELECT version FROM _sqlx_migrations WHERE success ORDER BY version")
            .fetch_all(pool)
            .await?
    } else {
        Vec::new()
    };
    let has_compat: Option<String> =
        sqlx::query_scalar("SELECT to_regclass('sting_schema_compat')::text").fetch_one(pool).await?;
    let min_reader: Option<i64> = if has_compat.is_some() {
        sqlx::query_scalar("SELECT max(min_reader) FROM sting_schema_compat").fetch_one(pool).await?
    } else {
        None
    };
    Ok(SchemaStatus { known: known_version(), applied, min_reader: min_reader.unwrap_or(0) })
}

/// A listener on one of the database's notification channels. It does not reconnect by itself:
/// `try_recv` answers `Ok(None)` when the connection drops, so the caller knows that notices may
/// have been missed (and reconnects here) rather than waiting inside it unaware.
pub async fn listen(pool: &PgPool, channel: &str) -> Result<sqlx::postgres::PgListener, sqlx::Error> {
    let mut listener = sqlx::postgres::PgListener::connect_with(pool).await?;
    listener.eager_reconnect(false);
    listener.listen(channel).await?;
    Ok(listener)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_lose_their_password_in_messages() {
        assert_eq!(redact("postgres://sting:hunter2@db:5432/sting"), "postgres://db:5432/sting");
        assert_eq!(redact("postgres://db/sting"), "postgres://db/sting");
        assert!(!redact("not a url with hunter2").contains("hunter2"));
    }

    #[test]
    fn every_migration_declares_its_readers_and_contracts_only_when_it_says_so() {
        // Statements that break code still reading the old shape.
        const CONTRACT: [&str; 6] =
            ["DROP TABLE", "DROP COLUMN", "RENAME", "ALTER COLUMN", "SET NOT NULL", "DROP INDEX"];
        for migration in migrations().iter() {
            let needed = min_reader(&migration.sql).unwrap_or_else(|| {
                panic!("migration {} needs `-- min_reader: N` on its first line", migration.version)
            });
            assert!(needed <= migration.version, "migration {}: min_reader beyond itself", migration.version);
            let upper = migration.sql.to_uppercase();
            let code: String =
                upper.lines().filter(|l| !l.trim_start().starts_with("--")).collect::<Vec<_>>().join("\n");
            for statement in CONTRACT {
                if code.contains(statement) {
                    assert_eq!(
                        needed, migration.version,
                        "migration {} contracts the schema ({statement}): it must declare `-- min_reader: {}`",
                        migration.version, migration.version
                    );
                }
            }
        }
        assert_eq!(min_reader("-- min_reader: 3\nCREATE TABLE x ()"), Some(3));
        assert_eq!(min_reader("CREATE TABLE x ()"), None);
    }
}
