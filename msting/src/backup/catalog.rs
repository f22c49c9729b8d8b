//! The backups in a folder: found by name, described by the manifest kept beside each (so that
//! listing reads no archive), verified by reading every byte back, and pruned by a policy.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde::{Deserialize, Serialize};

use super::archive::{self, ArchiveError, Unlock};
use super::manifest::Manifest;
use super::prune::{self, Policy};

/// A backup file's name ends with one of these.
pub const PLAIN_SUFFIX: &str = ".tar.zst";
pub const ENCRYPTED_SUFFIX: &str = ".tar.zst.age";
/// The manifest kept beside a backup: `<file>.json`.
pub const SIDECAR_SUFFIX: &str = ".json";

/// What is kept beside a backup, `<file>.json`: its manifest and when it was last verified.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Sidecar {
    pub manifest: Manifest,
    /// RFC 3339 time of the last successful `backup verify`.
    pub verified: Option<String>,
    /// The sha256 of the file as written.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
    /// When the file was read back from the disk after writing and matched `sha256`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub read_back: Option<String>,
}

#[derive(Clone, Debug, Serialize)]
pub struct Listed {
    pub file: PathBuf,
    pub size: u64,
    pub encrypted: bool,
    pub created: Option<String>,
    pub sting_version: Option<String>,
    pub verified: Option<String>,
    /// When it was read back after writing (see [`Sidecar::read_back`]).
    pub read_back: Option<String>,
    pub entries: Option<usize>,
}

pub fn sidecar_path(file: &Path) -> PathBuf {
    let mut name = file.as_os_str().to_owned();
    name.push(SIDECAR_SUFFIX);
    PathBuf::from(name)
}

pub fn read_sidecar(file: &Path) -> Option<Sidecar> {
    serde_json::from_slice(&std::fs::read(sidecar_path(file)).ok()?).ok()
}

pub fn write_sidecar(file: &Path, sidecar: &Sidecar) -> anyhow::Result<()> {
    crate::fsio::atomic_write(&sidecar_path(file), &serde_json::to_vec_pretty(sidecar)?, Some(0o600))
}

/// The backups in `dir`, oldest first.
pub fn list(dir: &Path) -> anyhow::Result<Vec<Listed>> {
    let mut out = Vec::new();
    let read = match std::fs::read_dir(dir) {
        Ok(read) => read,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(out),
        Err(e) => return Err(anyhow::anyhow!("cannot read {}: {e}", dir.display())),
    };
    for entry in read.flatten() {
        let name = entry.file_name().to_string_lossy().to_string();
        let encrypted = name.ends_with(ENCRYPTED_SUFFIX);
        if !name.starts_with("sting-") || !(encrypted || name.ends_with(PLAIN_SUFFIX)) {
            continue;
        }
        let file = entry.path();
        let sidecar = read_sidecar(&file);
        out.push(Listed {
            size: entry.metadata().map(|m| m.len()).unwrap_or(0),
            encrypted,
            created: sidecar.as_ref().map(|s| s.manifest.created.clone()),
            sting_version: sidecar.as_ref().map(|s| s.manifest.sting_version.clone()),
            verified: sidecar.as_ref().and_then(|s| s.verified.clone()),
            read_back: sidecar.as_ref().and_then(|s| s.read_back.clone()),
            entries: sidecar.as_ref().map(|s| s.manifest.entries.len()),
            file,
        });
    }
    out.sort_by(|a, b| a.file.cmp(&b.file));
    Ok(out)
}

/// Decrypts and reads the whole backup: every entry's checksum against the manifest, and each
/// database dump through `pg_restore --list` (the PostgreSQL client on this host). Records
/// the verification beside the file.
pub fn verify(file: &Path, unlock: &Unlock) -> anyhow::Result<Manifest> {
    let mut dump_errors = Vec::new();
    let manifest = archive::read_all(file, unlock, |name, data| {
        if name.starts_with("db/") && name.ends_with(".dump") {
            if let Err(e) = pg_restore_lists(data) {
                dump_errors.push(format!("{name}: {e}"));
            }
        }
        Ok(())
    })?;
    if !dump_errors.is_empty() {
        anyhow::bail!("a database dump is not readable: {}", dump_errors.join("; "));
    }
    let verified = time::OffsetDateTime::now_utc().format(&time::format_description::well_known::Rfc3339)?;
    let kept = read_sidecar(file);
    write_sidecar(
        file,
        &Sidecar {
            manifest: manifest.clone(),
            verified: Some(verified),
            sha256: kept.as_ref().and_then(|s| s.sha256.clone()),
            read_back: kept.and_then(|s| s.read_back),
        },
    )?;
    Ok(manifest)
}

/// Feeds a dump to `pg_restore --list`, which reads its table of contents.
fn pg_restore_lists(data: &mut dyn Read) -> std::io::Result<()> {
    let mut child = Command::new("pg_restore")
        .arg("--list")
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| {
            std::io::Error::other(format!(
                "cannot run pg_restore ({e}): install the PostgreSQL client (apt-get install -y postgresql-client)"
            ))
        })?;
    let mut stdin = child.stdin.take().expect("piped");
    let mut buffer = vec![0u8; 1 << 16];
    loop {
        let n = data.read(&mut buffer)?;
        if n == 0 {
            break;
        }
        // pg_restore stops reading once it has the table of contents: the rest is only hashed.
        if stdin.write_all(&buffer[..n]).is_err() {
            break;
        }
    }
    drop(stdin);
    let output = child.wait_with_output()?;
    if output.status.success() {
        Ok(())
    } else {
        Err(std::io::Error::other(String::from_utf8_lossy(&output.stderr).trim().to_string()))
    }
}

/// What `prune` does with each backup: kept (with why) or removed.
#[derive(Clone, Debug, Serialize)]
pub struct Pruned {
    pub file: PathBuf,
    pub keep: Vec<&'static str>,
}

/// Applies `policy` to the backups in `dir` (by their creation time, from the manifest or, when
/// there is none, the name); removes the others and their manifests unless `dry_run`.
pub fn prune(dir: &Path, policy: &Policy, dry_run: bool) -> anyhow::Result<Vec<Pruned>> {
    anyhow::ensure!(
        !policy.is_empty(),
        "an empty policy would remove every backup: give at least one of --keep-last, --keep-daily, --keep-weekly, --keep-monthly"
    );
    let listed = list(dir)?;
    let mut times = Vec::new();
    for backup in &listed {
        times.push(created(backup).ok_or_else(|| {
            anyhow::anyhow!("cannot tell when {} was made: verify it or move it away", backup.file.display())
        })?);
    }
    let decisions = prune::decide(policy, &times);
    let mut out = Vec::new();
    for decision in decisions {
        let file = listed[decision.index].file.clone();
        if decision.reasons.is_empty() && !dry_run {
            std::fs::remove_file(&file)?;
            let _ = std::fs::remove_file(sidecar_path(&file));
        }
        out.push(Pruned { file, keep: decision.reasons });
    }
    Ok(out)
}

fn created(backup: &Listed) -> Option<time::OffsetDateTime> {
    use time::format_description::well_known::Rfc3339;
    if let Some(text) = &backup.created {
        return time::OffsetDateTime::parse(text, &Rfc3339).ok();
    }
    // sting-<project>-YYYYMMDDTHHMMSSZ.tar.zst[.age]
    let name = backup.file.file_name()?.to_string_lossy().to_string();
    let stamp = name.split('.').next()?.rsplit('-').next()?;
    let format = time::macros::format_description!("[year][month][day]T[hour][minute][second]Z");
    time::PrimitiveDateTime::parse(stamp, &format).ok().map(|t| t.assume_utc())
}

/// Whether an error means the key was wrong (exit code 1 with a clear message) rather than a
/// damaged file.
pub fn is_key_problem(error: &anyhow::Error) -> bool {
    matches!(
        error.downcast_ref::<ArchiveError>(),
        Some(
            ArchiveError::NeedsKey
                | ArchiveError::WrongIdentity
                | ArchiveError::WrongPassphrase
                | ArchiveError::NeedsIdentity
                | ArchiveError::NeedsPassphrase
        )
    )
}
