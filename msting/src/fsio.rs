//! Writing files so that nothing is lost: a reader sees the old file or the new one, never half
//! of either, even if the machine stops mid-write.

use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::Path;

use anyhow::Context;

/// Replaces `path` with `contents`: a temporary file beside it, fsync, rename, fsync of the
/// folder. The new file gets `mode`, or the old file's mode when it existed, and its folder's
/// owner: a folder given to a service (a container's uid) keeps every file in it readable by
/// that service when root rewrites one (a renewed key, a new secret-id).
pub fn atomic_write(path: &Path, contents: &[u8], mode: Option<u32>) -> anyhow::Result<()> {
    let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let name = path.file_name().context("the path has no file name")?.to_string_lossy();
    let mode = mode.or_else(|| fs::metadata(path).ok().map(|m| m.permissions().mode() & 0o7777)).unwrap_or(0o600);
    let tmp = dir.join(format!(".{name}.tmp-{}", std::process::id()));
    let result = (|| -> anyhow::Result<()> {
        let mut file = OpenOptions::new().write(true).create_new(true).mode(mode).open(&tmp)?;
        file.write_all(contents)?;
        file.set_permissions(fs::Permissions::from_mode(mode))?;
        give_to_folder_owner(&file, dir)?;
        file.sync_all()?;
        fs::rename(&tmp, path)?;
        File::open(dir)?.sync_all()?;
        Ok(())
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result.with_context(|| format!("cannot write {}", path.display()))
}

/// A file root just made gets its folder's owner (see [`atomic_write`]).
pub(crate) fn give_to_folder_owner(file: &File, dir: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::MetadataExt;
    let (mine, folder) = (file.metadata()?, fs::metadata(dir)?);
    if mine.uid() == 0 && (folder.uid(), folder.gid()) != (mine.uid(), mine.gid()) {
        std::os::unix::fs::fchown(file, Some(folder.uid()), Some(folder.gid()))?;
    }
    Ok(())
}

/// Gives `path` (and, for a folder, everything in it) to `uid`:`uid`.
pub fn give_to(path: &Path, uid: u32) -> anyhow::Result<()> {
    std::os::unix::fs::lchown(path, Some(uid), Some(uid))
        .with_context(|| format!("cannot give {} to uid {uid}", path.display()))?;
    if fs::symlink_metadata(path)?.is_dir() {
        for entry in fs::read_dir(path)? {
            give_to(&entry?.path(), uid)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_content_keeps_the_old_mode_and_leaves_no_temporary_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.yml");
        fs::write(&path, "old").unwrap();
        fs::set_permissions(&path, fs::Permissions::from_mode(0o640)).unwrap();
        atomic_write(&path, b"new", None).unwrap();
        assert_eq!(fs::read_to_string(&path).unwrap(), "new");
        assert_eq!(fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o640);
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn a_file_written_by_root_takes_its_folders_owner() {
        use std::os::unix::fs::MetadataExt;
        assert!(crate::preflight::is_root(), "this test gives files away, which needs root (as CI runs)");
        let dir = tempfile::tempdir().unwrap();
        let service = dir.path().join("service");
        fs::create_dir(&service).unwrap();
        std::os::unix::fs::chown(&service, Some(10300), Some(10300)).unwrap();
        atomic_write(&service.join("key"), b"k", Some(0o400)).unwrap();
        let meta = fs::metadata(service.join("key")).unwrap();
        assert_eq!((meta.uid(), meta.gid()), (10300, 10300));
        atomic_write(&dir.path().join("mine"), b"m", None).unwrap();
        assert_eq!(fs::metadata(dir.path().join("mine")).unwrap().uid(), 0);
    }

    #[test]
    fn a_failed_write_leaves_the_old_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.yml");
        fs::write(&path, "old").unwrap();
        // A directory where the file's parent should be: the write must fail cleanly.
        let bad = dir.path().join("config.yml/inner");
        assert!(atomic_write(&bad, b"new", None).is_err());
        assert_eq!(fs::read_to_string(&path).unwrap(), "old");
    }
}
