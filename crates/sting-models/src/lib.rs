//! The model catalog: what a GGUF file is (architecture, size, quantisation, context), whether
//! it is intact (header and tensor table consistent with the file's length; sha256 when one is
//! configured) and how much memory it will take to run. Shared by stingd (before it starts a
//! model) and msting (when it installs or lists models).

mod gguf;
pub mod known;
mod memory;

pub use gguf::{GgufError, GgufInfo, read_gguf};
pub use memory::MemoryEstimate;

use std::io::Read;
use std::path::Path;

/// The sha256 of a file, as lowercase hex.
pub fn sha256_file(path: &Path) -> std::io::Result<String> {
    use sha2::Digest;
    let mut file = std::fs::File::open(path)?;
    let mut hasher = sha2::Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(hasher.finalize().iter().map(|b| format!("{b:02x}")).collect())
}

/// Checks a file against an expected sha256 (hex, any case).
pub fn verify_sha256(path: &Path, expected: &str) -> Result<(), GgufError> {
    let actual = sha256_file(path).map_err(|source| GgufError::Io { path: path.to_path_buf(), source })?;
    if actual.eq_ignore_ascii_case(expected.trim()) {
        Ok(())
    } else {
        Err(GgufError::ChecksumMismatch { path: path.to_path_buf(), expected: expected.trim().to_lowercase(), actual })
    }
}
