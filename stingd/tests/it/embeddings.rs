//! The in-process embedding model on the real all-MiniLM-L6-v2 from tests/env/setup.sh: unit
//! vectors of its 384 dimensions, the same whether embedded alone or in a batch with longer
//! texts (padding does not leak in), and closer for passages that mean the same.

use sting_e2e::Component;
use sting_e2e::env::require_path;
use stingd::honey_jars::embed::{Embedder, dot};

#[test]
fn passages_that_mean_the_same_are_closest() {
    let embedder = Embedder::load(&require_path(Component::EmbeddingModel)).unwrap();
    assert_eq!(embedder.dimensions(), 384);
    let question = "How many days of holiday do I get each year?";
    let passages = [
        "Full-time employees have 27 days of annual leave a year, plus public holidays.",
        "The office keeps four hives on the roof; the bees are Buckfast.",
        "Purchases between 5,000 and 50,000 euros need three written quotes.",
    ];
    let mut texts = vec![question];
    texts.extend(passages);
    let vectors = embedder.embed(&texts).unwrap();
    for v in &vectors {
        assert_eq!(v.len(), 384);
        assert!((dot(v, v) - 1.0).abs() < 1e-4, "unit length");
    }
    let similarity: Vec<f32> = vectors[1..].iter().map(|p| dot(&vectors[0], p)).collect();
    assert!(similarity[0] > similarity[1] + 0.2 && similarity[0] > similarity[2] + 0.2, "{similarity:?}");
    assert!(similarity[0] > 0.5, "a paraphrase scores high: {similarity:?}");

    let alone = embedder.embed(&[question]).unwrap();
    let close = dot(&alone[0], &vectors[0]);
    assert!(close > 0.9999, "the same vector alone or padded in a batch: {close}");
    assert!(embedder.embed(&[]).unwrap().is_empty());
}
