//! A reader for GGUF headers (llama.cpp's model format, versions 2 and 3): the metadata that
//! matters for running a model, and the tensor table, checked against the file's length so a
//! truncated download is caught before llama-server tries to load it.
//!
//! Every length read from the file is bounded before it is trusted: a hostile header cannot make
//! this allocate or loop without limit.

use std::fs::File;
use std::io::{BufReader, Read, Seek};
use std::path::{Path, PathBuf};

use serde::Serialize;

const MAGIC: &[u8; 4] = b"GGUF";
const MAX_STRING: u64 = 1 << 20;
const MAX_COUNT: u64 = 1 << 32;
const MAX_DIMS: u32 = 8;

#[derive(Debug, thiserror::Error)]
pub enum GgufError {
    #[error("cannot read {path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error(
        "{path} is not a GGUF model file (it starts with {found:?}, not \"GGUF\"); llama-server needs a .gguf file"
    )]
    NotGguf { path: PathBuf, found: String },
    #[error("{path} is GGUF version {version}; this build reads versions 2 and 3")]
    UnsupportedVersion { path: PathBuf, version: u32 },
    #[error(
        "{path} is truncated: its tensors need {needed} bytes but the file has {size}; download it again (an interrupted copy?)"
    )]
    Truncated { path: PathBuf, needed: u64, size: u64 },
    #[error("{path} is not a valid GGUF file: {what}")]
    Malformed { path: PathBuf, what: String },
    #[error(
        "{path} does not match its configured sha256 (expected {expected}, found {actual}): the file is corrupt or another file"
    )]
    ChecksumMismatch { path: PathBuf, expected: String, actual: String },
}

/// What the catalog knows about a GGUF file.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct GgufInfo {
    pub path: PathBuf,
    pub version: u32,
    /// `general.architecture`, such as `llama` or `gemma3`.
    pub architecture: String,
    pub name: Option<String>,
    /// Number of weights, from the tensor table.
    pub parameters: u64,
    /// The quantisation of most weights, such as `Q4_K_M` (from `general.file_type`).
    pub quantization: String,
    /// The context the model was trained for.
    pub context_length: Option<u64>,
    pub block_count: Option<u64>,
    pub embedding_length: Option<u64>,
    pub head_count: Option<u64>,
    pub head_count_kv: Option<u64>,
    pub key_length: Option<u64>,
    pub value_length: Option<u64>,
    /// How the model pools token embeddings into one vector (`{arch}.pooling_type`), if it says;
    /// generative models do not, and need a pooling chosen to serve embeddings.
    pub pooling_type: Option<u64>,
    /// Whether the model has its own chat template (without one llama-server uses a generic one).
    pub has_chat_template: bool,
    pub tensor_count: u64,
    pub file_size: u64,
    /// Bytes of tensor data (the weights as loaded).
    pub tensor_bytes: u64,
}

/// Reads and checks a GGUF file's header and tensor table.
pub fn read_gguf(path: &Path) -> Result<GgufInfo, GgufError> {
    let io = |source| GgufError::Io { path: path.to_path_buf(), source };
    let file = File::open(path).map_err(io)?;
    let file_size = file.metadata().map_err(io)?.len();
    let mut r = Reader { inner: BufReader::with_capacity(1 << 16, file), path };

    let mut magic = [0u8; 4];
    if file_size < 4 || r.inner.read_exact(&mut magic).is_err() || &magic != MAGIC {
        let found = String::from_utf8_lossy(&magic[..file_size.min(4) as usize]).into_owned();
        return Err(GgufError::NotGguf { path: path.to_path_buf(), found });
    }
    let version = r.u32()?;
    if !(2..=3).contains(&version) {
        return Err(GgufError::UnsupportedVersion { path: path.to_path_buf(), version });
    }
    let tensor_count = r.count("tensor count")?;
    let kv_count = r.count("metadata count")?;

    let mut meta = Metadata::default();
    for _ in 0..kv_count {
        let key = r.string()?;
        let kind = r.u32()?;
        meta.read_value(&mut r, &key, kind)?;
    }
    let architecture = meta.architecture.clone().ok_or_else(|| r.malformed("no general.architecture"))?;
    let arch_u64 =
        |suffix: &str| meta.numbers.iter().find(|(k, _)| *k == format!("{architecture}.{suffix}")).map(|(_, v)| *v);

    let mut parameters: u64 = 0;
    let mut data_end: u64 = 0;
    for _ in 0..tensor_count {
        let _name = r.string()?;
        let dims = r.u32()?;
        if dims > MAX_DIMS {
            return Err(r.malformed(&format!("a tensor with {dims} dimensions")));
        }
        let mut elements: u64 = 1;
        for _ in 0..dims {
            elements = elements.checked_mul(r.u64()?).ok_or_else(|| r.malformed("tensor size overflows"))?;
        }
        let ggml_type = r.u32()?;
        let offset = r.u64()?;
        parameters = parameters.saturating_add(elements);
        let bytes = tensor_bytes(ggml_type, elements).unwrap_or(0);
        data_end = data_end.max(offset.saturating_add(bytes));
    }
    let header_end = r.inner.stream_position().map_err(io)?;
    let alignment = meta.alignment.unwrap_or(32).max(1);
    let data_start = header_end.div_ceil(alignment) * alignment;
    let needed = data_start.saturating_add(data_end);
    if needed > file_size {
        return Err(GgufError::Truncated { path: path.to_path_buf(), needed, size: file_size });
    }

    Ok(GgufInfo {
        path: path.to_path_buf(),
        version,
        name: meta.name,
        parameters,
        quantization: meta.file_type.map_or_else(|| "unknown".into(), file_type_name),
        context_length: arch_u64("context_length"),
        block_count: arch_u64("block_count"),
        embedding_length: arch_u64("embedding_length"),
        head_count: arch_u64("attention.head_count"),
        head_count_kv: arch_u64("attention.head_count_kv"),
        key_length: arch_u64("attention.key_length"),
        value_length: arch_u64("attention.value_length"),
        pooling_type: arch_u64("pooling_type"),
        has_chat_template: meta.has_chat_template,
        tensor_count,
        file_size,
        tensor_bytes: data_end,
        architecture,
    })
}

struct Reader<'a> {
    inner: BufReader<File>,
    path: &'a Path,
}

impl Reader<'_> {
    fn malformed(&self, what: &str) -> GgufError {
        GgufError::Malformed { path: self.path.to_path_buf(), what: what.to_string() }
    }

    fn bytes<const N: usize>(&mut self) -> Result<[u8; N], GgufError> {
        let mut buf = [0u8; N];
        self.inner.read_exact(&mut buf).map_err(|_| self.eof())?;
        Ok(buf)
    }

    /// Running out of header is truncation too: report it as such.
    fn eof(&mut self) -> GgufError {
        let size = self.inner.get_ref().metadata().map(|m| m.len()).unwrap_or(0);
        let at = self.inner.stream_position().unwrap_or(size);
        GgufError::Truncated { path: self.path.to_path_buf(), needed: at.max(size) + 1, size }
    }

    fn u32(&mut self) -> Result<u32, GgufError> {
        Ok(u32::from_le_bytes(self.bytes()?))
    }

    fn u64(&mut self) -> Result<u64, GgufError> {
        Ok(u64::from_le_bytes(self.bytes()?))
    }

    fn count(&mut self, what: &str) -> Result<u64, GgufError> {
        let n = self.u64()?;
        if n > MAX_COUNT {
            return Err(self.malformed(&format!("{what} of {n}")));
        }
        Ok(n)
    }

    fn string_len(&mut self) -> Result<u64, GgufError> {
        let len = self.u64()?;
        if len > MAX_STRING {
            return Err(self.malformed(&format!("a string of {len} bytes")));
        }
        Ok(len)
    }

    fn string(&mut self) -> Result<String, GgufError> {
        let len = self.string_len()?;
        let mut buf = vec![0u8; len as usize];
        self.inner.read_exact(&mut buf).map_err(|_| self.eof())?;
        String::from_utf8(buf).map_err(|_| self.malformed("a string that is not UTF-8"))
    }

    fn skip(&mut self, n: u64) -> Result<(), GgufError> {
        let n = i64::try_from(n).map_err(|_| self.malformed("a value too large to skip"))?;
        self.inner.seek_relative(n).map_err(|_| self.eof())
    }
}

/// The metadata keys the catalog uses; everything else is skipped without allocating.
#[derive(Default)]
struct Metadata {
    architecture: Option<String>,
    name: Option<String>,
    file_type: Option<u32>,
    alignment: Option<u64>,
    has_chat_template: bool,
    numbers: Vec<(String, u64)>,
}

/// Sizes of GGUF's fixed-width value types, by type id.
fn scalar_size(kind: u32) -> Option<u64> {
    Some(match kind {
        0 | 1 | 7 => 1,
        2 | 3 => 2,
        4..=6 => 4,
        10..=12 => 8,
        _ => return None,
    })
}

impl Metadata {
    fn read_value(&mut self, r: &mut Reader, key: &str, kind: u32) -> Result<(), GgufError> {
        match kind {
            8 => {
                let wanted = matches!(key, "general.architecture" | "general.name");
                if wanted {
                    let value = r.string()?;
                    if key == "general.architecture" {
                        self.architecture = Some(value);
                    } else {
                        self.name = Some(value);
                    }
                } else {
                    let len = r.string_len()?;
                    if key == "tokenizer.chat_template" && len > 0 {
                        self.has_chat_template = true;
                    }
                    r.skip(len)?;
                }
            }
            9 => {
                let item = r.u32()?;
                let count = r.count("array length")?;
                match (item, scalar_size(item)) {
                    (8, _) => {
                        for _ in 0..count {
                            let len = r.string_len()?;
                            r.skip(len)?;
                        }
                    }
                    (_, Some(size)) => {
                        r.skip(count.checked_mul(size).ok_or_else(|| r.malformed("array too large"))?)?
                    }
                    _ => return Err(r.malformed(&format!("an array of value type {item} in {key}"))),
                }
            }
            4 | 5 => {
                let v = r.u32()?;
                let v = if kind == 5 { v as i32 as i64 as u64 } else { u64::from(v) };
                self.number(key, v);
            }
            10 | 11 => {
                let v = r.u64()?;
                self.number(key, v);
            }
            _ => match scalar_size(kind) {
                Some(size) => r.skip(size)?,
                None => return Err(r.malformed(&format!("value type {kind} for {key}"))),
            },
        }
        Ok(())
    }

    fn number(&mut self, key: &str, value: u64) {
        match key {
            "general.file_type" => self.file_type = u32::try_from(value).ok(),
            "general.alignment" => self.alignment = Some(value),
            _ => self.numbers.push((key.to_string(), value)),
        }
    }
}

/// Bytes a tensor of `elements` weights takes, for the ggml types in use.
fn tensor_bytes(ggml_type: u32, elements: u64) -> Option<u64> {
    // (bytes per block, weights per block)
    let (block_bytes, block_len): (u64, u64) = match ggml_type {
        0 => (4, 1),     // F32
        1 => (2, 1),     // F16
        2 => (18, 32),   // Q4_0
        3 => (20, 32),   // Q4_1
        6 => (22, 32),   // Q5_0
        7 => (24, 32),   // Q5_1
        8 => (34, 32),   // Q8_0
        10 => (84, 256), // Q2_K
        11 => (110, 256),
        12 => (144, 256), // Q4_K
        13 => (176, 256),
        14 => (210, 256), // Q6_K
        15 => (292, 256),
        16 => (66, 256),
        17 => (74, 256),
        18 => (98, 256),
        19 => (50, 256),
        20 => (18, 32),
        21 => (110, 256),
        22 => (82, 256),
        23 => (136, 256),
        24 => (1, 1),
        25 => (2, 1),
        26 => (4, 1),
        27 | 28 => (8, 1),
        29 => (56, 256),
        30 => (2, 1), // BF16
        34 => (54, 256),
        35 => (66, 256),
        39 => (17, 32), // MXFP4
        _ => return None,
    };
    Some(elements.div_ceil(block_len) * block_bytes)
}

/// llama.cpp's `llama_ftype` names.
fn file_type_name(file_type: u32) -> String {
    let name = match file_type {
        0 => "F32",
        1 => "F16",
        2 => "Q4_0",
        3 => "Q4_1",
        7 => "Q8_0",
        8 => "Q5_0",
        9 => "Q5_1",
        10 => "Q2_K",
        11 => "Q3_K_S",
        12 => "Q3_K_M",
        13 => "Q3_K_L",
        14 => "Q4_K_S",
        15 => "Q4_K_M",
        16 => "Q5_K_S",
        17 => "Q5_K_M",
        18 => "Q6_K",
        19 => "IQ2_XXS",
        20 => "IQ2_XS",
        21 => "Q2_K_S",
        22 => "IQ3_XS",
        23 => "IQ3_XXS",
        24 => "IQ1_S",
        25 => "IQ4_NL",
        26 => "IQ3_S",
        27 => "IQ3_M",
        28 => "IQ2_S",
        29 => "IQ2_M",
        30 => "IQ4_XS",
        31 => "IQ1_M",
        32 => "BF16",
        36 => "TQ1_0",
        37 => "TQ2_0",
        38 => "MXFP4_MOE",
        other => return format!("type {other}"),
    };
    name.to_string()
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use std::io::Write;

    /// Writes a small but complete GGUF v3 file: two F32 tensors of `dims` each.
    pub fn write_gguf(path: &Path, dims: &[u64], data_bytes: usize) {
        let mut f = File::create(path).unwrap();
        let string = |s: &str| [(s.len() as u64).to_le_bytes().to_vec(), s.as_bytes().to_vec()].concat();
        let mut header = Vec::new();
        header.extend_from_slice(MAGIC);
        header.extend_from_slice(&3u32.to_le_bytes());
        header.extend_from_slice(&2u64.to_le_bytes()); // tensors
        header.extend_from_slice(&4u64.to_le_bytes()); // metadata
        header.extend(string("general.architecture"));
        header.extend_from_slice(&8u32.to_le_bytes());
        header.extend(string("llama"));
        header.extend(string("llama.context_length"));
        header.extend_from_slice(&4u32.to_le_bytes());
        header.extend_from_slice(&2048u32.to_le_bytes());
        header.extend(string("general.file_type"));
        header.extend_from_slice(&4u32.to_le_bytes());
        header.extend_from_slice(&0u32.to_le_bytes());
        header.extend(string("tokenizer.ggml.tokens"));
        header.extend_from_slice(&9u32.to_le_bytes());
        header.extend_from_slice(&8u32.to_le_bytes());
        header.extend_from_slice(&2u64.to_le_bytes());
        header.extend(string("a"));
        header.extend(string("bc"));
        let per_tensor: u64 = dims.iter().product::<u64>() * 4;
        for (i, name) in ["a.weight", "b.weight"].iter().enumerate() {
            header.extend(string(name));
            header.extend_from_slice(&(dims.len() as u32).to_le_bytes());
            for d in dims {
                header.extend_from_slice(&d.to_le_bytes());
            }
            header.extend_from_slice(&0u32.to_le_bytes()); // F32
            header.extend_from_slice(&(i as u64 * per_tensor).to_le_bytes());
        }
        while header.len() % 32 != 0 {
            header.push(0);
        }
        f.write_all(&header).unwrap();
        f.write_all(&vec![0u8; data_bytes]).unwrap();
    }

    #[test]
    fn reads_metadata_and_counts_parameters() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.gguf");
        write_gguf(&path, &[4, 8], 2 * 4 * 8 * 4);
        let info = read_gguf(&path).unwrap();
        assert_eq!(info.architecture, "llama");
        assert_eq!(info.parameters, 64);
        assert_eq!(info.quantization, "F32");
        assert_eq!(info.context_length, Some(2048));
        assert_eq!(info.tensor_bytes, 256);
    }

    #[test]
    fn a_truncated_file_is_caught() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.gguf");
        write_gguf(&path, &[4, 8], 100);
        assert!(matches!(read_gguf(&path), Err(GgufError::Truncated { .. })), "{:?}", read_gguf(&path));
        // Cut inside the header as well.
        let bytes = std::fs::read(&path).unwrap();
        std::fs::write(&path, &bytes[..40]).unwrap();
        let err = read_gguf(&path).unwrap_err();
        assert!(matches!(err, GgufError::Truncated { .. }), "{err:?}");
        assert!(err.to_string().contains("truncated"));
    }

    #[test]
    fn a_file_that_is_not_gguf_says_so() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.gguf");
        std::fs::write(&path, "<html>not a model</html>").unwrap();
        let err = read_gguf(&path).unwrap_err();
        assert!(err.to_string().contains("is not a GGUF model file (it starts with \"<htm\""), "{err}");
        std::fs::write(&path, "").unwrap();
        assert!(matches!(read_gguf(&path), Err(GgufError::NotGguf { .. })));
    }

    #[test]
    fn hostile_lengths_are_refused_without_allocating() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.gguf");
        let mut bytes = Vec::new();
        bytes.extend_from_slice(MAGIC);
        bytes.extend_from_slice(&3u32.to_le_bytes());
        bytes.extend_from_slice(&0u64.to_le_bytes());
        bytes.extend_from_slice(&1u64.to_le_bytes());
        bytes.extend_from_slice(&u64::MAX.to_le_bytes()); // key length
        std::fs::write(&path, bytes).unwrap();
        assert!(matches!(read_gguf(&path), Err(GgufError::Malformed { .. })));
    }
}
