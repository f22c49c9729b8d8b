//! Installing a certificate for stingd so that it is never left without a valid one: the new
//! chain and key are checked first (they parse, the key is the leaf's, the leaf is valid now and
//! covers the names it must), then written beside the old ones and renamed into place, key
//! first. stingd watches the folder and loads a pair only when the two match, so between the
//! renames it keeps serving the old certificate; if the second rename fails, the old key is put
//! back.

use std::path::{Path, PathBuf};

use time::OffsetDateTime;
use zeroize::Zeroizing;

use super::inspect::{self, CertInfo};
use super::{Name, TlsError, io_error};

/// stingd's certificate chain (PEM, leaf first) and key, in `paths.certs_dir`.
pub const CERT_FILE: &str = "server.crt";
pub const KEY_FILE: &str = "server.key";

/// Seconds a certificate's start may lie in our future and still be installed.
const CLOCK_SKEW: i64 = 300;

#[derive(Debug, thiserror::Error)]
pub enum InstallError {
    #[error(transparent)]
    Tls(#[from] TlsError),
    #[error("the certificate expired on {0}: get a current one")]
    Expired(String),
    #[error("the certificate is not valid before {0}: check this host's clock, or wait")]
    NotYetValid(String),
    #[error(
        "the certificate does not cover {missing} (it names {names}): it must cover every name STING is reached by"
    )]
    DoesNotCover { missing: String, names: String },
    #[error("{0} is a CA certificate, not a server's")]
    IsCa(String),
}

fn date(seconds: i64) -> String {
    OffsetDateTime::from_unix_timestamp(seconds)
        .map(|t| format!("{}-{:02}-{:02} {:02}:{:02} UTC", t.year(), t.month() as u8, t.day(), t.hour(), t.minute()))
        .unwrap_or_else(|_| seconds.to_string())
}

/// The leaf of `chain_pem` if the pair may be served for `required` at `now`.
pub fn check(
    chain_pem: &str,
    key_pem: &str,
    required: &[Name],
    now: OffsetDateTime,
    origin: &str,
) -> Result<CertInfo, InstallError> {
    let leaf = inspect::parse_chain(chain_pem, origin)?.remove(0);
    if !inspect::key_matches(&leaf, key_pem, origin)? {
        return Err(TlsError::KeyMismatch { cert: origin.to_string(), key: "the key given".into() }.into());
    }
    if leaf.is_ca {
        return Err(InstallError::IsCa(origin.to_string()));
    }
    if now.unix_timestamp() >= leaf.not_after {
        return Err(InstallError::Expired(date(leaf.not_after)));
    }
    // A CA's clock may run a little ahead of ours (a certificate fresh from ACME starts "now").
    if now.unix_timestamp() + CLOCK_SKEW < leaf.not_before {
        return Err(InstallError::NotYetValid(date(leaf.not_before)));
    }
    let missing: Vec<String> = required.iter().filter(|n| !leaf.covers(n)).map(Name::to_string).collect();
    if !missing.is_empty() {
        return Err(InstallError::DoesNotCover { missing: missing.join(", "), names: leaf.names.join(", ") });
    }
    Ok(leaf)
}

/// Checks the pair, then puts it in `dir` for stingd. On any failure the old pair stays.
pub fn install(
    dir: &Path,
    chain_pem: &str,
    key_pem: &str,
    required: &[Name],
    now: OffsetDateTime,
) -> Result<CertInfo, InstallError> {
    let leaf = check(chain_pem, key_pem, required, now, "the new certificate")?;
    std::fs::create_dir_all(dir).map_err(io_error(dir))?;
    let (cert_path, key_path) = (dir.join(CERT_FILE), dir.join(KEY_FILE));
    let old_key = std::fs::read(&key_path).ok().map(Zeroizing::new);
    let staged_key = staged(dir, KEY_FILE);
    let staged_cert = staged(dir, CERT_FILE);
    let result = (|| -> Result<(), TlsError> {
        write_synced(&staged_key, key_pem.as_bytes(), 0o400)?;
        write_synced(&staged_cert, chain_pem.as_bytes(), 0o644)?;
        std::fs::rename(&staged_key, &key_path).map_err(io_error(&key_path))?;
        if let Err(e) = std::fs::rename(&staged_cert, &cert_path) {
            if let Some(old) = &old_key {
                // Back to the pair that matches the certificate still in place.
                let _ = write_synced(&staged_key, old, 0o400)
                    .and_then(|()| std::fs::rename(&staged_key, &key_path).map_err(io_error(&key_path)));
            }
            return Err(io_error(&cert_path)(e));
        }
        std::fs::File::open(dir).and_then(|d| d.sync_all()).map_err(io_error(dir))
    })();
    let _ = std::fs::remove_file(&staged_key);
    let _ = std::fs::remove_file(&staged_cert);
    result?;
    Ok(leaf)
}

/// The certificate installed in `dir`, if any.
pub fn current(dir: &Path) -> Result<Option<CertInfo>, TlsError> {
    let path = dir.join(CERT_FILE);
    if !path.exists() {
        return Ok(None);
    }
    Ok(Some(inspect::read_chain(&path)?.remove(0)))
}

fn staged(dir: &Path, name: &str) -> PathBuf {
    dir.join(format!(".{name}.new-{}", std::process::id()))
}

fn write_synced(path: &Path, contents: &[u8], mode: u32) -> Result<(), TlsError> {
    use std::io::Write;
    use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
    let _ = std::fs::remove_file(path);
    let mut file =
        std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(path).map_err(io_error(path))?;
    file.write_all(contents).map_err(io_error(path))?;
    let dir = path.parent().unwrap_or(Path::new("."));
    crate::fsio::give_to_folder_owner(&file, dir).map_err(io_error(path))?;
    file.sync_all().map_err(io_error(path))?;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).map_err(io_error(path))
}
