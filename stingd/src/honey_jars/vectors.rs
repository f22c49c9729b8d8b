//! The nearest passages by meaning. Embeddings are stored sealed (an embedding says much of
//! what its passage says), so they cannot be searched inside PostgreSQL; instead each jar's
//! vectors are opened into memory the first time it is searched and scanned exactly (a few
//! milliseconds for ten thousand passages), and forgotten when its documents change. Only
//! searchable documents' chunks are loaded; access is still decided by the database when the
//! passages found are fetched.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use sqlx::PgPool;
use sting_vault::Vault;
use uuid::Uuid;

use crate::envelope::{EnvelopeError, KeyCache};
use crate::honey_jars::embed;

/// Why a jar's vectors cannot be read.
#[derive(Debug, thiserror::Error)]
pub enum VectorError {
    #[error("documents are stored encrypted with keys from Vault, and Vault cannot be used now: {0}")]
    Sealing(#[from] EnvelopeError),
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
}

/// Vectors kept in memory in all, at most; jars used least recently go first.
const CAPACITY: usize = 200_000;

pub struct VectorIndex {
    jars: Mutex<HashMap<Uuid, Slot>>,
}

#[derive(Default)]
struct Slot {
    /// Bumped whenever the jar changes, so a load that raced a change is not kept.
    generation: u64,
    loaded: Option<Arc<JarVectors>>,
    used: u64,
}

struct JarVectors {
    chunks: Vec<i64>,
    /// `chunks.len()` unit vectors, one after another.
    data: Vec<f32>,
    dimensions: usize,
}

/// What sealing a chunk's embedding binds it to.
pub fn context(document: Uuid, seq: i32) -> Vec<u8> {
    format!("{document}:{seq}:embedding").into_bytes()
}

impl Default for VectorIndex {
    fn default() -> Self {
        Self { jars: Mutex::new(HashMap::new()) }
    }
}

impl VectorIndex {
    /// The jar's documents changed: its vectors are read again when next needed.
    pub fn forget(&self, jar: Uuid) {
        let mut jars = self.jars.lock().expect("vector index lock");
        let slot = jars.entry(jar).or_default();
        slot.generation += 1;
        slot.loaded = None;
    }

    /// The `k` chunks of `jars` nearest to `query` (a unit vector), with their similarity.
    pub async fn nearest(
        &self,
        pool: &PgPool,
        vault: &Vault,
        keys: &KeyCache,
        jars: &[Uuid],
        query: &[f32],
        k: usize,
    ) -> Result<Vec<(i64, f32)>, VectorError> {
        let mut best: Vec<(i64, f32)> = Vec::new();
        for &jar in jars {
            let vectors = self.jar(pool, vault, keys, jar).await?;
            if vectors.dimensions != query.len() {
                continue;
            }
            for (i, chunk) in vectors.chunks.iter().enumerate() {
                let row = &vectors.data[i * vectors.dimensions..(i + 1) * vectors.dimensions];
                best.push((*chunk, embed::dot(row, query)));
            }
            if best.len() > 4 * k {
                best.select_nth_unstable_by(k, |a, b| b.1.total_cmp(&a.1));
                best.truncate(k);
            }
        }
        best.sort_by(|a, b| b.1.total_cmp(&a.1));
        best.truncate(k);
        Ok(best)
    }

    async fn jar(
        &self,
        pool: &PgPool,
        vault: &Vault,
        keys: &KeyCache,
        jar: Uuid,
    ) -> Result<Arc<JarVectors>, VectorError> {
        let generation = {
            let mut jars = self.jars.lock().expect("vector index lock");
            let tick = jars.values().map(|s| s.used).max().unwrap_or(0) + 1;
            let slot = jars.entry(jar).or_default();
            slot.used = tick;
            if let Some(loaded) = &slot.loaded {
                return Ok(loaded.clone());
            }
            slot.generation
        };
        let loaded = Arc::new(load(pool, vault, keys, jar).await?);
        let mut jars = self.jars.lock().expect("vector index lock");
        let slot = jars.entry(jar).or_default();
        if slot.generation == generation {
            slot.loaded = Some(loaded.clone());
        }
        // Over capacity: drop the jars used least recently (not this one).
        let mut total: usize = jars.values().filter_map(|s| s.loaded.as_ref()).map(|v| v.chunks.len()).sum();
        while total > CAPACITY {
            let oldest = jars
                .iter()
                .filter(|(id, s)| **id != jar && s.loaded.is_some())
                .min_by_key(|(_, s)| s.used)
                .map(|(id, _)| *id);
            let Some(oldest) = oldest else { break };
            if let Some(dropped) = jars.get_mut(&oldest).and_then(|s| s.loaded.take()) {
                total -= dropped.chunks.len();
            }
        }
        Ok(loaded)
    }
}

async fn load(pool: &PgPool, vault: &Vault, keys: &KeyCache, jar: Uuid) -> Result<JarVectors, VectorError> {
    let rows: Vec<(i64, Uuid, i32, Vec<u8>, String)> = sqlx::query_as(
        "SELECT c.id, c.document_id, c.seq, c.embedding, d.wrapped_key
         FROM chunks c JOIN documents d ON d.id = c.document_id AND d.searchable
         WHERE c.jar_id = $1 AND c.embedding IS NOT NULL
         ORDER BY c.id",
    )
    .bind(jar)
    .fetch_all(pool)
    .await?;
    let mut vectors = JarVectors { chunks: Vec::with_capacity(rows.len()), data: Vec::new(), dimensions: 0 };
    for (chunk, document, seq, sealed, wrapped) in rows {
        let sealer = keys.sealer(vault, document, &wrapped).await?;
        let plain = sealer.open(&sealed, &context(document, seq))?;
        let vector = embed::from_bytes(&plain).ok_or(EnvelopeError::Tampered)?;
        if vectors.dimensions == 0 {
            vectors.dimensions = vector.len();
            vectors.data.reserve(vector.len() * vectors.chunks.capacity());
        }
        if vector.len() != vectors.dimensions {
            // From another model (the setting changed; the jar needs a re-index): left out.
            continue;
        }
        vectors.chunks.push(chunk);
        vectors.data.extend_from_slice(&vector);
    }
    Ok(vectors)
}

/// Reciprocal rank fusion: each list gives `1 / (K + rank)` to its items (rank from 1), summed,
/// then scaled so that first in every list is 1. Lists are best first.
pub fn fuse(lists: &[&[i64]]) -> Vec<(i64, f32)> {
    const K: f32 = 60.0;
    let mut scores: HashMap<i64, f32> = HashMap::new();
    let mut order: Vec<i64> = Vec::new();
    for list in lists {
        for (rank, id) in list.iter().enumerate() {
            let score = scores.entry(*id).or_insert_with(|| {
                order.push(*id);
                0.0
            });
            *score += 1.0 / (K + rank as f32 + 1.0);
        }
    }
    let best = lists.len().max(1) as f32 / (K + 1.0);
    let mut fused: Vec<(i64, f32)> = order.into_iter().map(|id| (id, scores[&id] / best)).collect();
    // Stable: ties keep the order of first appearance (the full-text list's, then the other's).
    fused.sort_by(|a, b| b.1.total_cmp(&a.1));
    fused
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fusion_rewards_agreement_and_keeps_either_list_alone() {
        let words = [1, 2, 3];
        let meaning = [3, 4, 1];
        let fused = fuse(&[&words, &meaning]);
        let ids: Vec<i64> = fused.iter().map(|(id, _)| *id).collect();
        // 1 and 3 are in both lists; 1 is first in one and third in the other, as 3 is.
        assert_eq!(&ids[..2], &[1, 3]);
        assert_eq!(ids.len(), 4);
        assert!(ids.contains(&2) && ids.contains(&4), "found by one list only still counts");
        assert!(fused.iter().all(|(_, s)| *s > 0.0 && *s <= 1.0));
        let alone = fuse(&[&[7, 8]]);
        assert_eq!(alone[0], (7, 1.0), "first of the only list scores 1");
        assert!(fuse(&[&[], &[]]).is_empty());
    }
}
