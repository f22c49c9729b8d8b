//! The backup file's format, in one place: a tar stream compressed with zstd and, for an
//! encrypted backup, wrapped in age (X25519 recipients or a passphrase), so that
//! `age -d FILE | zstd -d | tar x` reads it without msting. Everything streams: the archive is
//! never whole in memory, and data of unknown length (a dump, a snapshot) waits in a
//! [`Spool`], an unnamed temporary file encrypted under a key that lives only in memory, so no
//! plaintext copy ever touches the disk. Reading checks every entry's path before anything
//! else sees it.

use std::collections::BTreeMap;
use std::io::{self, BufRead, BufReader, Read, Seek, Write};
use std::path::{Component, Path, PathBuf};

use age::secrecy::SecretString;
use sha2::{Digest, Sha256};

use super::manifest::{self, Entry, Manifest};

/// The first bytes of an age file.
const AGE_MAGIC: &[u8] = b"age-encryption.org/v1";
/// The first bytes of a zstd frame (a plain backup).
const ZSTD_MAGIC: &[u8] = &[0x28, 0xb5, 0x2f, 0xfd];
/// zstd's level: fast enough to keep up with pg_dump, still a good ratio.
const ZSTD_LEVEL: i32 = 3;

#[derive(Debug, thiserror::Error)]
pub enum ArchiveError {
    #[error("this backup is encrypted: give its identity (--identity FILE) or passphrase (--passphrase-file FILE)")]
    NeedsKey,
    #[error("the identity given does not open this backup (it was encrypted to other recipients)")]
    WrongIdentity,
    #[error("the passphrase does not open this backup")]
    WrongPassphrase,
    #[error("this backup was encrypted with a passphrase: give it with --passphrase-file FILE")]
    NeedsPassphrase,
    #[error("this backup was encrypted to recipients: give an identity with --identity FILE")]
    NeedsIdentity,
    #[error("not a STING backup (neither age-encrypted nor zstd)")]
    NotABackup,
    #[error("refused entry `{0}`: absolute paths, `..`, links and special files are never restored")]
    UnsafeEntry(String),
    #[error("entry `{path}` is damaged: its sha256 is {found}, the manifest says {expected}")]
    Checksum { path: String, expected: String, found: String },
    #[error("entry `{0}` is in the archive but not in its manifest")]
    Unlisted(String),
    #[error("entry `{0}` is in the manifest but missing from the archive")]
    Missing(String),
    #[error("the archive has no manifest: it is incomplete or not a STING backup")]
    NoManifest,
    #[error("the archive is damaged or truncated: {0}")]
    Damaged(String),
    #[error(transparent)]
    Io(#[from] io::Error),
}

/// How a backup is protected.
pub enum Protection {
    Recipients(Vec<Box<dyn age::Recipient + Send>>),
    Passphrase(SecretString),
    Plain,
}

impl Protection {
    pub fn encrypted(&self) -> bool {
        !matches!(self, Protection::Plain)
    }
}

/// How an encrypted backup is opened.
pub enum Unlock {
    Identities(Vec<Box<dyn age::Identity>>),
    Passphrase(SecretString),
    Nothing,
}

/// The bytes under the compressor: the file itself, or age's stream writer in front of it.
enum Sink<W: Write> {
    Plain(W),
    Age(age::stream::StreamWriter<W>),
}

impl<W: Write> Write for Sink<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Sink::Plain(w) => w.write(buf),
            Sink::Age(w) => w.write(buf),
        }
    }
    fn flush(&mut self) -> io::Result<()> {
        match self {
            Sink::Plain(w) => w.flush(),
            Sink::Age(w) => w.flush(),
        }
    }
}

impl<W: Write> Sink<W> {
    fn new(out: W, protection: &Protection) -> io::Result<Self> {
        let encryptor = match protection {
            Protection::Plain => return Ok(Sink::Plain(out)),
            Protection::Recipients(recipients) => {
                age::Encryptor::with_recipients(recipients.iter().map(|r| r.as_ref() as &dyn age::Recipient))
                    .map_err(io::Error::other)?
            }
            Protection::Passphrase(passphrase) => age::Encryptor::with_user_passphrase(passphrase.clone()),
        };
        Ok(Sink::Age(encryptor.wrap_output(out)?))
    }

    fn finish(self) -> io::Result<W> {
        match self {
            Sink::Plain(w) => Ok(w),
            Sink::Age(w) => w.finish(),
        }
    }
}

/// Hashes and counts what passes through (read or written).
pub struct Hashing<R> {
    inner: R,
    hasher: Sha256,
    bytes: u64,
}

impl<W> Hashing<W> {
    pub fn new(inner: W) -> Self {
        Self { inner, hasher: Sha256::new(), bytes: 0 }
    }

    /// The sha256 (hex) of everything that passed.
    pub fn sha256(self) -> String {
        hex(&self.hasher.finalize())
    }
}

impl<W: Write> Write for Hashing<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hasher.update(&buf[..n]);
        self.bytes += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// The sha256 (hex) of a file, read whole from the disk.
pub fn sha256_of_file(path: &std::path::Path) -> io::Result<String> {
    let mut hashing = Hashing::new(std::fs::File::open(path)?);
    io::copy(&mut hashing, &mut io::sink())?;
    Ok(hashing.sha256())
}

impl<R: Read> Read for Hashing<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hasher.update(&buf[..n]);
        self.bytes += n as u64;
        Ok(n)
    }
}

fn hex(digest: &[u8]) -> String {
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// Writes a backup archive entry by entry; [`ArchiveWriter::finish`] adds the manifest.
pub struct ArchiveWriter<W: Write> {
    tar: tar::Builder<zstd::stream::write::Encoder<'static, Sink<W>>>,
    entries: Vec<Entry>,
    /// Bytes read from entries so far (for progress).
    pub written: u64,
}

impl<W: Write> ArchiveWriter<W> {
    pub fn new(out: W, protection: &Protection) -> io::Result<Self> {
        let sink = Sink::new(out, protection)?;
        let mut zstd = zstd::stream::write::Encoder::new(sink, ZSTD_LEVEL)?;
        // Both cores for compression: the dump is streamed in while they work.
        let _ = zstd.multithread(2);
        let mut tar = tar::Builder::new(zstd);
        tar.mode(tar::HeaderMode::Deterministic);
        Ok(Self { tar, entries: Vec::new(), written: 0 })
    }

    /// Adds `size` bytes from `data` as the file `path` (relative, `/`-separated).
    pub fn add(&mut self, path: &str, mode: u32, size: u64, data: impl Read) -> Result<(), ArchiveError> {
        safe_path(path)?;
        let mut header = tar::Header::new_gnu();
        header.set_size(size);
        header.set_mode(mode);
        header.set_entry_type(tar::EntryType::Regular);
        header.set_mtime(0);
        let mut hashing = Hashing { inner: data.take(size), hasher: Sha256::new(), bytes: 0 };
        self.tar.append_data(&mut header, path, &mut hashing)?;
        if hashing.bytes != size {
            return Err(ArchiveError::Damaged(format!("`{path}` gave {} bytes of {size}", hashing.bytes)));
        }
        self.written += size;
        self.entries.push(Entry { path: path.to_string(), size, sha256: hex(&hashing.hasher.finalize()) });
        Ok(())
    }

    pub fn add_bytes(&mut self, path: &str, mode: u32, bytes: &[u8]) -> Result<(), ArchiveError> {
        self.add(path, mode, bytes.len() as u64, bytes)
    }

    /// Adds a spooled stream (see [`Spool`]).
    pub fn add_spool(&mut self, path: &str, mode: u32, spool: Spool) -> Result<(), ArchiveError> {
        let (size, reader) = spool.into_reader()?;
        self.add(path, mode, size, reader)
    }

    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    /// Appends the manifest (with the entries written) and closes every layer; returns the
    /// file for the caller to sync and rename.
    pub fn finish(mut self, mut manifest: Manifest) -> Result<(W, Manifest), ArchiveError> {
        manifest.entries = std::mem::take(&mut self.entries);
        let json = serde_json::to_vec_pretty(&manifest).map_err(io::Error::other)?;
        let mut header = tar::Header::new_gnu();
        header.set_size(json.len() as u64);
        header.set_mode(0o600);
        header.set_mtime(0);
        self.tar.append_data(&mut header, manifest::NAME, json.as_slice())?;
        let zstd = self.tar.into_inner()?;
        let sink = zstd.finish()?;
        Ok((sink.finish()?, manifest))
    }
}

/// Data of unknown length held until its length is known: an unnamed temporary file (gone
/// when closed, and never named, so a crash leaves nothing), encrypted with a key that exists
/// only in this process.
pub struct Spool {
    writer: age::stream::StreamWriter<std::fs::File>,
    identity: age::x25519::Identity,
    bytes: u64,
}

impl Spool {
    pub fn new(dir: &Path) -> io::Result<Self> {
        let identity = age::x25519::Identity::generate();
        let recipient = identity.to_public();
        let file = tempfile::tempfile_in(dir)?;
        let encryptor = age::Encryptor::with_recipients(std::iter::once(&recipient as &dyn age::Recipient))
            .map_err(io::Error::other)?;
        Ok(Self { writer: encryptor.wrap_output(file)?, identity, bytes: 0 })
    }

    pub fn len(&self) -> u64 {
        self.bytes
    }

    pub fn is_empty(&self) -> bool {
        self.bytes == 0
    }

    /// The plain length and a reader of the plain bytes from the start.
    pub fn into_reader(self) -> io::Result<(u64, impl Read)> {
        let mut file = self.writer.finish()?;
        file.sync_data()?;
        file.rewind()?;
        let decryptor = age::Decryptor::new(BufReader::new(file)).map_err(io::Error::other)?;
        let reader =
            decryptor.decrypt(std::iter::once(&self.identity as &dyn age::Identity)).map_err(io::Error::other)?;
        Ok((self.bytes, reader))
    }
}

impl Write for Spool {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.writer.write(buf)?;
        self.bytes += n as u64;
        Ok(n)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.writer.flush()
    }
}

/// `path` as a relative path that stays inside the folder it is restored into.
pub fn safe_path(path: &str) -> Result<PathBuf, ArchiveError> {
    let candidate = Path::new(path);
    let clean = !path.is_empty()
        && candidate.components().all(|c| matches!(c, Component::Normal(_)))
        && !path.contains('\\')
        && !path.contains('\0');
    if clean { Ok(candidate.to_path_buf()) } else { Err(ArchiveError::UnsafeEntry(path.to_string())) }
}

/// Whether the file at `path` is encrypted (age) or plain (zstd).
pub fn is_encrypted(path: &Path) -> Result<bool, ArchiveError> {
    let mut reader = BufReader::new(std::fs::File::open(path)?);
    let head = reader.fill_buf()?;
    if head.starts_with(AGE_MAGIC) {
        Ok(true)
    } else if head.starts_with(ZSTD_MAGIC) {
        Ok(false)
    } else {
        Err(ArchiveError::NotABackup)
    }
}

/// The plain tar stream of a backup file (decrypted and decompressed as it is read).
pub fn open(path: &Path, unlock: &Unlock) -> Result<tar::Archive<Box<dyn Read>>, ArchiveError> {
    let encrypted = is_encrypted(path)?;
    let file = BufReader::new(std::fs::File::open(path)?);
    let plain: Box<dyn Read> = if encrypted {
        let decryptor = age::Decryptor::new_buffered(file).map_err(|e| ArchiveError::Damaged(e.to_string()))?;
        let scrypt = decryptor.is_scrypt();
        let opened = match (unlock, scrypt) {
            (Unlock::Nothing, _) => return Err(ArchiveError::NeedsKey),
            (Unlock::Passphrase(_), false) => return Err(ArchiveError::NeedsIdentity),
            (Unlock::Identities(_), true) => return Err(ArchiveError::NeedsPassphrase),
            (Unlock::Passphrase(passphrase), true) => {
                let identity = age::scrypt::Identity::new(passphrase.clone());
                decryptor.decrypt(std::iter::once(&identity as &dyn age::Identity)).map_err(|e| match e {
                    age::DecryptError::DecryptionFailed | age::DecryptError::NoMatchingKeys => {
                        ArchiveError::WrongPassphrase
                    }
                    other => ArchiveError::Damaged(other.to_string()),
                })?
            }
            (Unlock::Identities(identities), false) => {
                decryptor.decrypt(identities.iter().map(|i| i.as_ref())).map_err(|e| match e {
                    age::DecryptError::NoMatchingKeys => ArchiveError::WrongIdentity,
                    other => ArchiveError::Damaged(other.to_string()),
                })?
            }
        };
        Box::new(opened)
    } else {
        Box::new(file)
    };
    let zstd = zstd::stream::read::Decoder::new(plain)?;
    Ok(tar::Archive::new(Box::new(zstd) as Box<dyn Read>))
}

/// Reads every entry of the backup at `path`: each path checked, each checksum compared with
/// the manifest, nothing missing and nothing extra. `visit` sees each entry's path and plain
/// bytes as they stream past (a restore writes them out; verify passes them to checks).
pub fn read_all(
    path: &Path,
    unlock: &Unlock,
    mut visit: impl FnMut(&str, &mut dyn Read) -> io::Result<()>,
) -> Result<Manifest, ArchiveError> {
    let mut archive = open(path, unlock)?;
    let mut seen: BTreeMap<String, (u64, String)> = BTreeMap::new();
    let mut found_manifest = None;
    let damaged = |e: io::Error| ArchiveError::Damaged(e.to_string());
    for entry in archive.entries().map_err(damaged)? {
        let mut entry = entry.map_err(damaged)?;
        let name = String::from_utf8_lossy(&entry.path_bytes()).into_owned();
        if entry.header().entry_type() != tar::EntryType::Regular {
            return Err(ArchiveError::UnsafeEntry(name));
        }
        safe_path(&name)?;
        if name == manifest::NAME {
            let mut json = Vec::new();
            entry.read_to_end(&mut json).map_err(damaged)?;
            found_manifest =
                Some(serde_json::from_slice::<Manifest>(&json).map_err(|e| ArchiveError::Damaged(e.to_string()))?);
            continue;
        }
        let mut hashing = Hashing { inner: &mut entry, hasher: Sha256::new(), bytes: 0 };
        visit(&name, &mut hashing).map_err(damaged)?;
        io::copy(&mut hashing, &mut io::sink()).map_err(damaged)?;
        let (bytes, digest) = (hashing.bytes, hex(&hashing.hasher.finalize()));
        seen.insert(name, (bytes, digest));
    }
    let manifest = found_manifest.ok_or(ArchiveError::NoManifest)?;
    for entry in &manifest.entries {
        match seen.remove(&entry.path) {
            None => return Err(ArchiveError::Missing(entry.path.clone())),
            Some((_, digest)) if digest != entry.sha256 => {
                return Err(ArchiveError::Checksum {
                    path: entry.path.clone(),
                    expected: entry.sha256.clone(),
                    found: digest,
                });
            }
            Some(_) => {}
        }
    }
    if let Some(extra) = seen.into_keys().next() {
        return Err(ArchiveError::Unlisted(extra));
    }
    Ok(manifest)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn manifest(encrypted: bool) -> Manifest {
        Manifest {
            format: manifest::FORMAT,
            sting_version: "test".into(),
            created: "2026-11-24T00:00:00Z".into(),
            host: "h".into(),
            project: "p".into(),
            encrypted,
            unseal: manifest::Unseal::KeyLeftOut,
            entries: Vec::new(),
        }
    }

    fn write(protection: &Protection, entries: &[(&str, &[u8])]) -> Vec<u8> {
        let mut writer = ArchiveWriter::new(Vec::new(), protection).unwrap();
        for (path, bytes) in entries {
            writer.add_bytes(path, 0o600, bytes).unwrap();
        }
        writer.finish(manifest(protection.encrypted())).unwrap().0
    }

    fn file(bytes: &[u8]) -> tempfile::NamedTempFile {
        let mut file = tempfile::NamedTempFile::new().unwrap();
        file.write_all(bytes).unwrap();
        file
    }

    fn contents(path: &Path, unlock: &Unlock) -> Result<BTreeMap<String, Vec<u8>>, ArchiveError> {
        let mut out = BTreeMap::new();
        read_all(path, unlock, |name, data| {
            let mut bytes = Vec::new();
            data.read_to_end(&mut bytes)?;
            out.insert(name.to_string(), bytes);
            Ok(())
        })?;
        Ok(out)
    }

    #[test]
    fn what_goes_in_comes_out_under_each_protection_and_only_with_its_key() {
        let big: Vec<u8> = (0..3_000_000u32).map(|i| (i % 251) as u8).collect();
        let entries: &[(&str, &[u8])] = &[("db/sting.dump", &big), ("conf/config.yml", b"version: 1\n")];
        let alice = age::x25519::Identity::generate();
        let mallory = age::x25519::Identity::generate();

        let plain = file(&write(&Protection::Plain, entries));
        assert!(!is_encrypted(plain.path()).unwrap());
        assert_eq!(contents(plain.path(), &Unlock::Nothing).unwrap()["db/sting.dump"], big);

        let to_alice = file(&write(&Protection::Recipients(vec![Box::new(alice.to_public())]), entries));
        assert!(is_encrypted(to_alice.path()).unwrap());
        let opened = contents(to_alice.path(), &Unlock::Identities(vec![Box::new(alice.clone())])).unwrap();
        assert_eq!(opened["conf/config.yml"], b"version: 1\n");
        assert!(matches!(
            contents(to_alice.path(), &Unlock::Identities(vec![Box::new(mallory)])),
            Err(ArchiveError::WrongIdentity)
        ));
        assert!(matches!(contents(to_alice.path(), &Unlock::Nothing), Err(ArchiveError::NeedsKey)));

        let secret = SecretString::from("correct horse battery staple".to_string());
        let by_passphrase = file(&write(&Protection::Passphrase(secret.clone()), entries));
        assert_eq!(contents(by_passphrase.path(), &Unlock::Passphrase(secret)).unwrap().len(), 2);
        let wrong = SecretString::from("wrong".to_string());
        assert!(matches!(
            contents(by_passphrase.path(), &Unlock::Passphrase(wrong)),
            Err(ArchiveError::WrongPassphrase)
        ));
        assert!(matches!(
            contents(by_passphrase.path(), &Unlock::Identities(vec![Box::new(alice)])),
            Err(ArchiveError::NeedsPassphrase)
        ));
    }

    #[test]
    fn a_flipped_byte_anywhere_is_refused() {
        let identity = age::x25519::Identity::generate();
        let bytes = write(&Protection::Recipients(vec![Box::new(identity.to_public())]), &[("a", &[7u8; 100_000])]);
        for position in [bytes.len() / 2, bytes.len() - 20] {
            let mut flipped = bytes.clone();
            flipped[position] ^= 0x01;
            let damaged = file(&flipped);
            let result = contents(damaged.path(), &Unlock::Identities(vec![Box::new(identity.clone())]));
            assert!(matches!(result, Err(ArchiveError::Damaged(_))), "byte {position}: {result:?}");
        }
        // A plain backup has no authentication: the manifest's checksums catch the change.
        let plain = write(&Protection::Plain, &[("a", &[7u8; 100_000]), ("b", b"hello")]);
        let mut flipped = plain.clone();
        let middle = flipped.len() / 2;
        flipped[middle] ^= 0x01;
        let result = contents(file(&flipped).path(), &Unlock::Nothing);
        assert!(result.is_err(), "a damaged plain backup was accepted");
    }

    #[test]
    fn entries_that_would_leave_the_target_are_refused() {
        for bad in ["/etc/passwd", "../escape", "a/../../b", "", "a\\b"] {
            assert!(safe_path(bad).is_err(), "{bad}");
        }
        assert!(safe_path("db/sting.dump").is_ok());
        // A crafted archive: a link out of the target, then a traversal through the raw header.
        for crafted in [crafted_link(), crafted_traversal()] {
            let result = contents(crafted.path(), &Unlock::Nothing);
            assert!(matches!(result, Err(ArchiveError::UnsafeEntry(_))), "{result:?}");
        }
    }

    fn crafted_link() -> tempfile::NamedTempFile {
        let mut tar = tar::Builder::new(Vec::new());
        let mut header = tar::Header::new_gnu();
        header.set_entry_type(tar::EntryType::Symlink);
        header.set_size(0);
        tar.append_link(&mut header, "conf/evil", "/etc/shadow").unwrap();
        file(&zstd::encode_all(tar.into_inner().unwrap().as_slice(), 3).unwrap())
    }

    fn crafted_traversal() -> tempfile::NamedTempFile {
        let mut header = tar::Header::new_old();
        header.as_old_mut().name[..13].copy_from_slice(b"../../x/evil\0");
        header.set_size(4);
        header.set_entry_type(tar::EntryType::Regular);
        header.set_cksum();
        let mut raw = header.as_bytes().to_vec();
        raw.extend_from_slice(b"evil");
        raw.resize(512 * 2, 0);
        raw.extend_from_slice(&[0u8; 1024]);
        file(&zstd::encode_all(raw.as_slice(), 3).unwrap())
    }

    #[test]
    fn a_spool_gives_back_what_it_was_given_and_leaves_no_file_behind() {
        let dir = tempfile::tempdir().unwrap();
        let mut spool = Spool::new(dir.path()).unwrap();
        let text = b"COPY users FROM stdin; secret-looking data\n".repeat(10_000);
        spool.write_all(&text).unwrap();
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0, "the spool has a name");
        let (size, mut reader) = spool.into_reader().unwrap();
        let mut back = Vec::new();
        reader.read_to_end(&mut back).unwrap();
        assert_eq!((size, back), (text.len() as u64, text));
    }
}
