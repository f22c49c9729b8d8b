//! Sentence embeddings in process: a BERT sentence-transformer (all-MiniLM-L6-v2 as shipped:
//! `config.json`, `tokenizer.json`, `model.safetensors`) run on the CPU with candle, mean-pooled
//! over the tokens and normalised, so a dot product is the cosine similarity. In process rather
//! than through a llama-server child because the model ships as safetensors (a GGUF would need
//! PyTorch to convert) and is small: about 90 MB, milliseconds a passage.

use std::path::Path;

use candle_core::{DType, Device, Tensor};
use candle_nn::VarBuilder;
use candle_transformers::models::bert::{BertModel, Config, DTYPE};
use tokenizers::{PaddingParams, Tokenizer, TruncationParams};

#[derive(Debug, thiserror::Error)]
pub enum EmbedError {
    #[error(
        "cannot read the embedding model in {dir}: {reason} (set `honey_jars.embeddings.model` to the folder holding config.json, tokenizer.json and model.safetensors)"
    )]
    Load { dir: String, reason: String },
    #[error("the embedding model failed: {0}")]
    Run(String),
}

fn run_error(e: impl std::fmt::Display) -> EmbedError {
    EmbedError::Run(e.to_string())
}

pub struct Embedder {
    model: BertModel,
    tokenizer: Tokenizer,
    dimensions: usize,
}

/// Tokens of a passage the model reads; the rest is cut (the model was trained on 256).
const MAX_TOKENS: usize = 256;

impl Embedder {
    pub fn load(dir: &Path) -> Result<Self, EmbedError> {
        let fail = |reason: String| EmbedError::Load { dir: dir.display().to_string(), reason };
        let config: Config = serde_json::from_slice(
            &std::fs::read(dir.join("config.json")).map_err(|e| fail(format!("config.json: {e}")))?,
        )
        .map_err(|e| fail(format!("config.json: {e}")))?;
        let mut tokenizer =
            Tokenizer::from_file(dir.join("tokenizer.json")).map_err(|e| fail(format!("tokenizer.json: {e}")))?;
        tokenizer
            .with_truncation(Some(TruncationParams { max_length: MAX_TOKENS, ..Default::default() }))
            .map_err(|e| fail(format!("tokenizer.json: {e}")))?;
        tokenizer.with_padding(Some(PaddingParams::default()));
        let weights = dir.join("model.safetensors");
        if !weights.is_file() {
            return Err(fail("model.safetensors is missing".into()));
        }
        // Read rather than mapped: a map would need `unsafe`, and 90 MB is read in a moment.
        let bytes = std::fs::read(&weights).map_err(|e| fail(format!("model.safetensors: {e}")))?;
        let vb = VarBuilder::from_buffered_safetensors(bytes, DTYPE, &Device::Cpu)
            .map_err(|e| fail(format!("model.safetensors: {e}")))?;
        let model = BertModel::load(vb, &config).map_err(|e| fail(format!("model.safetensors: {e}")))?;
        Ok(Self { model, tokenizer, dimensions: config.hidden_size })
    }

    pub fn dimensions(&self) -> usize {
        self.dimensions
    }

    /// One unit vector per text. CPU work: call it from a blocking thread.
    pub fn embed(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>, EmbedError> {
        if texts.is_empty() {
            return Ok(Vec::new());
        }
        let encodings = self.tokenizer.encode_batch(texts.to_vec(), true).map_err(run_error)?;
        let ids = encodings.iter().map(|e| e.get_ids().to_vec()).collect::<Vec<_>>();
        let mask = encodings.iter().map(|e| e.get_attention_mask().to_vec()).collect::<Vec<_>>();
        let device = &self.model.device;
        let ids = Tensor::new(ids, device).map_err(run_error)?;
        let mask = Tensor::new(mask, device).map_err(run_error)?;
        let types = ids.zeros_like().map_err(run_error)?;
        let hidden = self.model.forward(&ids, &types, Some(&mask)).map_err(run_error)?;
        // Mean over the real tokens (padding masked out), as sentence-transformers pools.
        let mask = mask.to_dtype(DType::F32).map_err(run_error)?.unsqueeze(2).map_err(run_error)?;
        let summed = hidden.broadcast_mul(&mask).and_then(|t| t.sum(1)).map_err(run_error)?;
        let counts = mask.sum(1).map_err(run_error)?;
        let mean = summed.broadcast_div(&counts).map_err(run_error)?;
        let norms = mean.sqr().and_then(|t| t.sum_keepdim(1)).and_then(|t| t.sqrt()).map_err(run_error)?;
        let unit = mean.broadcast_div(&norms).map_err(run_error)?;
        unit.to_vec2::<f32>().map_err(run_error)
    }
}

/// The dot product of two vectors of the same length (the cosine, for unit vectors).
pub fn dot(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// A vector as stored (little-endian f32s), and back.
pub fn to_bytes(vector: &[f32]) -> Vec<u8> {
    vector.iter().flat_map(|v| v.to_le_bytes()).collect()
}

pub fn from_bytes(bytes: &[u8]) -> Option<Vec<f32>> {
    (bytes.len() % 4 == 0)
        .then(|| bytes.chunks_exact(4).map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]])).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vectors_survive_storage_and_bad_lengths_are_refused() {
        let v = vec![0.25f32, -1.5, 3.0e-7];
        assert_eq!(from_bytes(&to_bytes(&v)).unwrap(), v);
        assert!(from_bytes(&[1, 2, 3]).is_none());
        assert!((dot(&[0.6, 0.8], &[0.6, 0.8]) - 1.0).abs() < 1e-6);
    }

    #[test]
    fn a_folder_without_the_model_names_what_is_missing_and_the_setting() {
        let dir = tempfile::tempdir().unwrap();
        let error = Embedder::load(dir.path()).err().unwrap().to_string();
        assert!(error.contains("config.json") && error.contains("honey_jars.embeddings.model"), "{error}");
    }
}
