//! SQL as the database's administrator, for the little msting does inside PostgreSQL (rotating
//! logins): through `psql` inside the stack's db container, or on this host's socket for a
//! PostgreSQL of its own. Statements reach `psql` on its stdin, never its argv, and a password is sent only as
//! its SCRAM-SHA-256 verifier, so even a statement log holds no password.

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};

use anyhow::{Context, bail};
use sting_vault::Secret;

/// A database on this host, reached through its socket folder as the `postgres` superuser.
pub const SOCKET_VAR: &str = "STING_DB_ADMIN_SOCKET";

/// Where msting's SQL goes.
pub enum DbAdmin {
    /// `psql` in the stack's db container, as its superuser over the container's socket.
    Container {
        docker: bollard::Docker,
        container: String,
        database: String,
    },
    Local(LocalPsql),
}

impl DbAdmin {
    /// Runs `sql` (several statements, all or nothing); returns what psql printed.
    pub async fn run(&self, sql: &str) -> anyhow::Result<String> {
        match self {
            DbAdmin::Container { docker, container, database } => {
                // ON_ERROR_STOP ends psql before COMMIT: the open transaction is rolled back.
                crate::stack::exec::psql(docker, container, database, &format!("BEGIN;\n{sql}\nCOMMIT;\n")).await
            }
            DbAdmin::Local(local) => local.run(sql),
        }
    }
}

/// `psql` over a local socket.
pub struct LocalPsql {
    pub socket_dir: PathBuf,
    pub port: u16,
    pub database: String,
}

impl LocalPsql {
    fn run(&self, sql: &str) -> anyhow::Result<String> {
        let mut child = Command::new("psql")
            .args(["-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "--single-transaction", "-U", "postgres"])
            .arg("-h")
            .arg(&self.socket_dir)
            .args(["-p", &self.port.to_string(), "-d", &self.database, "-f", "-"])
            .env_remove("PGPASSWORD")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .context("cannot run psql (install the PostgreSQL client: apt-get install -y postgresql-client)")?;
        child.stdin.take().expect("piped").write_all(sql.as_bytes())?;
        let output = child.wait_with_output()?;
        if !output.status.success() {
            // psql's error names the failing statement's problem, not the statement itself.
            let error = String::from_utf8_lossy(&output.stderr);
            let first = error.lines().find(|l| l.contains("ERROR")).unwrap_or(error.trim());
            bail!("PostgreSQL refused: {first}");
        }
        Ok(String::from_utf8_lossy(&output.stdout).into_owned())
    }
}

/// How msting reaches the stack's database: the db container (it must be running), or the
/// socket folder in `STING_DB_ADMIN_SOCKET` for a PostgreSQL on this host.
pub async fn connect(config: &sting_config::Config) -> anyhow::Result<DbAdmin> {
    if let Some(dir) = std::env::var_os(SOCKET_VAR) {
        return Ok(DbAdmin::Local(LocalPsql {
            socket_dir: dir.into(),
            port: config.database.port,
            database: config.database.name.clone(),
        }));
    }
    let docker = crate::docker::connect().await?;
    let container = crate::stack::containers::container_name(&config.system.project_name, "db");
    let running = docker.inspect_container(&container, None).await.ok().and_then(|c| c.state?.running);
    if running != Some(true) {
        bail!(
            "the database container {container} is not running: start it (`msting start db`), or for a PostgreSQL \
             on this host set {SOCKET_VAR} to its socket folder"
        );
    }
    Ok(DbAdmin::Container { docker, container, database: config.database.name.clone() })
}

/// The SCRAM-SHA-256 verifier PostgreSQL stores for `password`.
pub fn scram_verifier(password: &Secret) -> String {
    postgres_protocol::password::scram_sha_256(password.expose().as_bytes())
}

/// `name` as an SQL identifier.
pub fn identifier(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// `text` as an SQL string literal.
pub fn literal(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_verifier_never_contains_the_password() {
        let password = Secret::new("correct horse battery staple");
        let verifier = scram_verifier(&password);
        assert!(verifier.starts_with("SCRAM-SHA-256$4096:"), "{verifier}");
        assert!(!verifier.contains("horse"));
        assert_ne!(verifier, scram_verifier(&password), "salted afresh each time");
    }

    #[test]
    fn names_and_texts_are_quoted_for_sql() {
        assert_eq!(identifier("sting\"; DROP"), "\"sting\"\"; DROP\"");
        assert_eq!(literal("it's"), "'it''s'");
    }
}
