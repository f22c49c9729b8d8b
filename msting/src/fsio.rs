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

/// A folder of msting's own that holds secrets: made 0700 if missing, tightened if looser.
pub fn private_dir(dir: &Path) -> anyhow::Result<()> {
    fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let mode = fs::metadata(dir)?.permissions().mode() & 0o777;
    if mode & 0o077 != 0 {
        fs::set_permissions(dir, fs::Permissions::from_mode(0o700))
            .with_context(|| format!("cannot make {} private", dir.display()))?;
    }
    Ok(())
}

/// A file written in pieces that appears under its name only once complete: it is written as
/// `.NAME.partial-PID` beside it, then synced and renamed ([`AtomicFile::commit`]). Dropped
/// uncommitted (an error), the partial file is removed; a killed process leaves it, named so
/// that [`partial_owner`] finds it for clean-up.
pub struct AtomicFile {
    path: std::path::PathBuf,
    staged: std::path::PathBuf,
    file: Option<File>,
}

impl AtomicFile {
    pub fn create(path: &Path, mode: u32) -> anyhow::Result<Self> {
        let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
        let name = path.file_name().context("the path has no file name")?.to_string_lossy();
        let staged = dir.join(format!(".{name}.partial-{}", std::process::id()));
        let file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(mode)
            .open(&staged)
            .with_context(|| format!("cannot create {}", staged.display()))?;
        give_to_folder_owner(&file, dir)?;
        Ok(Self { path: path.to_path_buf(), staged, file: Some(file) })
    }

    /// A handle to write through.
    pub fn file(&self) -> std::io::Result<File> {
        self.file.as_ref().expect("not committed").try_clone()
    }

    /// Syncs, renames into place, syncs the folder; returns the size.
    pub fn commit(&mut self) -> anyhow::Result<u64> {
        let file = self.file.take().expect("committed once");
        file.sync_all()?;
        let size = file.metadata()?.len();
        drop(file);
        fs::rename(&self.staged, &self.path).with_context(|| format!("cannot rename into {}", self.path.display()))?;
        let dir = self.path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
        File::open(dir)?.sync_all()?;
        Ok(size)
    }
}

impl Drop for AtomicFile {
    fn drop(&mut self) {
        if self.file.is_some() {
            let _ = fs::remove_file(&self.staged);
        }
    }
}

/// The process id in an [`AtomicFile`]'s partial name, if `name` is one.
pub fn partial_owner(name: &str) -> Option<u32> {
    if !name.starts_with('.') {
        return None;
    }
    name.rsplit_once(".partial-")?.1.parse().ok()
}

#[cfg(test)]
mod atomic_file_tests {
    use super::*;

    #[test]
    fn a_file_appears_only_when_committed_and_an_abandoned_one_leaves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("backup.tar");
        let mut staged = AtomicFile::create(&path, 0o600).unwrap();
        staged.file().unwrap().write_all(b"half").unwrap();
        assert!(!path.exists(), "visible before it was complete");
        let partial = fs::read_dir(dir.path()).unwrap().next().unwrap().unwrap().file_name();
        assert_eq!(partial_owner(&partial.to_string_lossy()), Some(std::process::id()));
        assert_eq!(staged.commit().unwrap(), 4);
        assert_eq!(fs::read(&path).unwrap(), b"half");
        assert_eq!(fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);

        let abandoned = AtomicFile::create(&dir.path().join("other.tar"), 0o600).unwrap();
        drop(abandoned);
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1, "an abandoned file stayed");
        assert_eq!(partial_owner("sting-x.tar.zst"), None);
    }
}
