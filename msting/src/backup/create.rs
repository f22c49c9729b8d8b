//! Making one backup of a running stack: every STING database (`pg_dump`, custom format, in the
//! db container) and the roles (without their passwords), Vault's storage (a raft snapshot),
//! the config, the certificates, and what a new host needs to unseal Vault. Private keys and the
//! unseal key go only into encrypted backups; msting's own credentials and the services'
//! secret-ids never do (a restore issues new ones). The file appears under its final name
//! complete, or not at all.

use std::io::BufWriter;
use std::path::{Path, PathBuf};

use anyhow::Context;
use bollard::Docker;
use sting_config::Config;

use super::archive::{ArchiveWriter, Protection, Spool};
use super::catalog::{ENCRYPTED_SUFFIX, PLAIN_SUFFIX};
use super::manifest::{self, Manifest, Unseal};
use crate::stack::containers::container_name;
use crate::stack::{exec, spec};

pub struct Made {
    pub file: PathBuf,
    pub manifest: Manifest,
    /// The file's size on disk.
    pub stored: u64,
    /// Entries that could not be read (the backup is incomplete: exit 3).
    pub skipped: Vec<String>,
}

/// The folder backups go to: `paths.backup_dir` under the install directory unless given.
pub fn folder(config: &Config, output: Option<&Path>) -> PathBuf {
    output.map(Path::to_path_buf).unwrap_or_else(|| spec::absolute(config, &config.paths.backup_dir))
}

/// `sting-<project>-<UTC time>.tar.zst[.age]`: sorts by time, says whether it is encrypted.
pub fn file_name(project: &str, created: time::OffsetDateTime, encrypted: bool) -> String {
    let stamp = format!(
        "{:04}{:02}{:02}T{:02}{:02}{:02}Z",
        created.year(),
        created.month() as u8,
        created.day(),
        created.hour(),
        created.minute(),
        created.second()
    );
    format!("sting-{project}-{stamp}{}", if encrypted { ENCRYPTED_SUFFIX } else { PLAIN_SUFFIX })
}

/// The databases to back up: every one in the db container but PostgreSQL's own.
async fn databases(docker: &Docker, db: &str) -> anyhow::Result<Vec<String>> {
    let listed = exec::psql(
        docker,
        db,
        "postgres",
        "SELECT datname FROM pg_database WHERE NOT datistemplate AND datname <> 'postgres' ORDER BY datname;",
    )
    .await?;
    Ok(listed.lines().map(str::trim).filter(|l| !l.is_empty()).map(String::from).collect())
}

/// Runs `command` in the db container into a spool; fails with its stderr.
async fn dump_into_spool(docker: &Docker, db: &str, command: &[&str], dir: &Path) -> anyhow::Result<Spool> {
    let mut spool = Spool::new(dir)?;
    let (code, stderr) = exec::stream_out(docker, db, command, &mut spool).await?;
    if code != 0 {
        anyhow::bail!("`{}` failed: {}", command.join(" "), stderr.trim());
    }
    Ok(spool)
}

/// Files of the install directory that go in, as (path in the archive, file on disk, private).
fn files(config: &Config) -> Vec<(String, PathBuf, bool)> {
    let mut out = Vec::new();
    let conf = config.paths.install_dir.join("conf");
    let certs = spec::absolute(config, &config.paths.certs_dir);
    let secrets = spec::absolute(config, &config.paths.secrets_dir);
    for (prefix, dir) in [("conf", &conf), ("certs", &certs)] {
        for file in walk(dir) {
            let relative = file.strip_prefix(dir).unwrap_or(&file).to_string_lossy().to_string();
            // Challenge answers live minutes; they are never worth restoring.
            if relative.starts_with("acme-challenge") {
                continue;
            }
            let private = relative.ends_with(".key");
            out.push((format!("{prefix}/{relative}"), file, private));
        }
    }
    for (archive_path, file) in [
        ("secrets/ca/ca.key", secrets.join("ca").join(crate::tls::ca::ROOT_KEY_FILE)),
        ("secrets/acme/account.json", secrets.join("acme").join("account.json")),
    ] {
        if file.is_file() {
            out.push((archive_path.to_string(), file, true));
        }
    }
    out
}

/// Regular files under `dir`, sorted, not following links.
fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(next) = pending.pop() {
        let Ok(read) = std::fs::read_dir(&next) else { continue };
        for entry in read.flatten() {
            let Ok(kind) = entry.file_type() else { continue };
            if kind.is_dir() {
                pending.push(entry.path());
            } else if kind.is_file() {
                out.push(entry.path());
            }
        }
    }
    out.sort();
    out
}

/// Writes a backup of the stack `config` describes into `dir`. `progress` is told the bytes
/// read so far. Stale partial files of an earlier, killed run are removed first.
pub async fn create(
    docker: &Docker,
    config: &Config,
    dir: &Path,
    protection: &Protection,
    progress: &mut (dyn FnMut(u64) + Send),
) -> anyhow::Result<Made> {
    crate::fsio::private_dir(dir)?;
    remove_stale_partials(dir);
    let created = time::OffsetDateTime::now_utc();
    let name = file_name(&config.system.project_name, created, protection.encrypted());
    let final_path = dir.join(&name);
    anyhow::ensure!(
        !final_path.exists(),
        "{} exists (a backup made this same second): run it again in a moment",
        final_path.display()
    );
    let mut staged = crate::fsio::AtomicFile::create(&final_path, 0o600)?;
    let db = container_name(&config.system.project_name, "db");
    let mut skipped = Vec::new();

    let mut writer = ArchiveWriter::new(
        BufWriter::with_capacity(1 << 20, super::archive::Hashing::new(staged.file()?)),
        protection,
    )?;
    // The roles first: a restore makes them before the databases they own.
    let globals = dump_into_spool(
        docker,
        &db,
        &["pg_dumpall", "--globals-only", "--no-role-passwords", "-h", "/run/postgresql", "-U", "postgres"],
        dir,
    )
    .await?;
    writer.add_spool("db/globals.sql", 0o600, globals)?;
    for database in databases(docker, &db).await.context("cannot list the databases")? {
        let spool = dump_into_spool(
            docker,
            &db,
            &["pg_dump", "-Fc", "-Z0", "-h", "/run/postgresql", "-U", "postgres", &database],
            dir,
        )
        .await?;
        writer.add_spool(&format!("db/{database}.dump"), 0o600, spool)?;
        progress(writer.written);
    }

    let vault = crate::vault_access::operator(config).await?;
    let mut snapshot = Spool::new(dir)?;
    vault.download("sys/storage/raft/snapshot", &mut snapshot).await.context("Vault's snapshot failed")?;
    writer.add_spool("vault/raft.snap", 0o600, snapshot)?;
    progress(writer.written);

    let unseal = match (config.vault.unseal, protection.encrypted()) {
        (sting_config::UnsealMode::Manual, _) => Unseal::ShareHolders,
        (_, false) => Unseal::KeyLeftOut,
        (_, true) => {
            let key = spec::vault_server_dir(config).join("unseal.key");
            let bytes = std::fs::read(&key).with_context(|| format!("cannot read the unseal key {}", key.display()))?;
            writer.add_bytes("vault/unseal.key", 0o400, &bytes)?;
            Unseal::KeyIncluded
        }
    };
    for (archive_path, file, private) in files(config) {
        if private && !protection.encrypted() {
            continue;
        }
        match std::fs::File::open(&file).and_then(|f| Ok((f.metadata()?.len(), f))) {
            Ok((size, opened)) => writer.add(&archive_path, if private { 0o400 } else { 0o644 }, size, opened)?,
            Err(e) => skipped.push(format!("{}: {e}", file.display())),
        }
    }
    progress(writer.written);

    let manifest = Manifest {
        format: manifest::FORMAT,
        sting_version: env!("CARGO_PKG_VERSION").to_string(),
        created: created.format(&time::format_description::well_known::Rfc3339)?,
        host: hostname(),
        project: config.system.project_name.clone(),
        encrypted: protection.encrypted(),
        unseal,
        entries: Vec::new(),
    };
    let (out, manifest) = writer.finish(manifest)?;
    let written = out.into_inner().map_err(|e| e.into_error())?.sha256();
    let stored = staged.commit()?;
    // Read the file back from the disk: what is there must be what was written.
    let read = super::archive::sha256_of_file(&final_path)?;
    if read != written {
        let _ = std::fs::remove_file(&final_path);
        anyhow::bail!(
            "{} did not read back as it was written (sha256 {read}, written {written}): the disk may be failing; the file is removed, nothing else changed",
            final_path.display()
        );
    }
    let sidecar = super::catalog::Sidecar {
        manifest: manifest.clone(),
        verified: None,
        sha256: Some(written),
        read_back: Some(created.format(&time::format_description::well_known::Rfc3339)?),
    };
    super::catalog::write_sidecar(&final_path, &sidecar)?;
    Ok(Made { file: final_path, manifest, stored, skipped })
}

fn hostname() -> String {
    std::fs::read_to_string("/etc/hostname").map(|h| h.trim().to_string()).unwrap_or_else(|_| "unknown".into())
}

/// Partial files left by a run that was killed (their process is gone).
fn remove_stale_partials(dir: &Path) {
    let Ok(read) = std::fs::read_dir(dir) else { return };
    for entry in read.flatten() {
        let name = entry.file_name().to_string_lossy().to_string();
        let Some(pid) = crate::fsio::partial_owner(&name) else { continue };
        if !Path::new(&format!("/proc/{pid}")).exists() {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_sort_by_time_and_say_whether_they_are_encrypted() {
        let t = time::macros::datetime!(2026-11-24 03:04:05 UTC);
        assert_eq!(file_name("sting-ce", t, true), "sting-sting-ce-20261124T030405Z.tar.zst.age");
        assert_eq!(file_name("sting-ce", t, false), "sting-sting-ce-20261124T030405Z.tar.zst");
    }
}
