//! How much memory a model needs to run: its weights, the KV cache for the configured context,
//! and llama.cpp's compute buffers. An estimate, used to decide what fits in a budget; it errs
//! on the side of too much.

use serde::Serialize;

use crate::GgufInfo;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct MemoryEstimate {
    pub weights: u64,
    pub kv_cache: u64,
    pub compute: u64,
}

impl MemoryEstimate {
    pub fn total(&self) -> u64 {
        self.weights + self.kv_cache + self.compute
    }
}

impl GgufInfo {
    /// Memory to run this model with `context` tokens of KV cache (all slots together, as
    /// llama-server's `-c`), with an f16 cache.
    pub fn estimate_memory(&self, context: u64) -> MemoryEstimate {
        let layers = self.block_count.unwrap_or(32);
        let heads = self.head_count.unwrap_or(1).max(1);
        let kv_heads = self.head_count_kv.unwrap_or(heads);
        let head_dim = self.embedding_length.unwrap_or(4096) / heads;
        let k = self.key_length.unwrap_or(head_dim) * kv_heads;
        let v = self.value_length.unwrap_or(head_dim) * kv_heads;
        let kv_cache = layers * context * (k + v) * 2;
        // Compute buffers grow with the context and the embedding width; llama.cpp reports tens
        // to hundreds of MiB for small models. A tenth of the weights plus a fixed floor covers it.
        let compute = self.tensor_bytes / 10 + 64 * 1024 * 1024;
        MemoryEstimate { weights: self.tensor_bytes, kv_cache, compute }
    }
}
