//! The catalog on the real Gemma 3 270M model from tests/env/setup.sh.

use sting_e2e::{Component, env::require_path};
use sting_models::{GgufError, read_gguf, sha256_file, verify_sha256};

#[test]
fn the_test_model_is_read_as_gemma3_q4_k_m_with_270m_weights() {
    let path = require_path(Component::TestModel);
    let info = read_gguf(&path).unwrap();
    assert_eq!(info.architecture, "gemma3");
    assert_eq!(info.quantization, "Q4_K_M");
    assert_eq!(info.context_length, Some(32768));
    assert!((250_000_000..300_000_000).contains(&info.parameters), "{} weights", info.parameters);
    assert!(!info.has_chat_template, "this build of the model ships no chat template");
    assert!(info.tensor_bytes <= info.file_size && info.tensor_bytes > info.file_size / 2);
    // 4096 tokens of f16 cache for 18 layers of one 256-wide KV head: 2 * 18 * 4096 * 512 bytes.
    let estimate = info.estimate_memory(4096);
    assert_eq!(estimate.kv_cache, 2 * 18 * 4096 * 512);
    assert!(estimate.total() > info.file_size);
}

#[test]
fn a_checksum_is_verified_and_a_wrong_one_named() {
    let path = require_path(Component::TestModel);
    let actual = sha256_file(&path).unwrap();
    verify_sha256(&path, &actual.to_uppercase()).unwrap();
    let wrong = "0".repeat(64);
    let err = verify_sha256(&path, &wrong).unwrap_err();
    assert!(matches!(err, GgufError::ChecksumMismatch { .. }));
    assert!(err.to_string().contains(&actual));
}

#[test]
fn a_truncated_copy_of_the_real_model_is_rejected() {
    let path = require_path(Component::TestModel);
    let dir = tempfile::tempdir().unwrap();
    let copy = dir.path().join("partial.gguf");
    let bytes = std::fs::read(&path).unwrap();
    std::fs::write(&copy, &bytes[..bytes.len() / 2]).unwrap();
    let err = read_gguf(&copy).unwrap_err();
    assert!(matches!(err, GgufError::Truncated { .. }), "{err}");
}
