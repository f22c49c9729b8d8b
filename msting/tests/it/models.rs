//! `msting models` with the real Gemma test model: import checks and copies it, list reads its
//! header, verify confirms its digest as the known default model and catches a damaged copy,
//! and a model the config uses is not removed without --force.

use crate::common::{msting, text};
use sting_e2e::Component;
use sting_e2e::env::require_path;

#[test]
fn import_list_verify_and_remove_with_the_real_model() {
    let model = require_path(Component::TestModel);
    // The default config's model `bee` uses gemma-3-270m-q4_k_m.gguf in paths.models_dir.
    let install = crate::common::install_dir("version: 1\n");
    let dir = install.path();

    let empty = msting(dir, &["models", "list"]);
    assert!(empty.status.success() && text(&empty).contains("no models"), "{}", text(&empty));
    let imported = msting(dir, &["models", "import", model.to_str().unwrap()]);
    assert!(imported.status.success(), "{}", text(&imported));
    let listed = msting(dir, &["--json", "models", "list"]);
    let listed: serde_json::Value = serde_json::from_slice(&listed.stdout).unwrap();
    assert_eq!(listed[0]["file"], "gemma-3-270m-q4_k_m.gguf");
    assert_eq!(listed[0]["architecture"], "gemma3");
    assert_eq!(listed[0]["used_by"], serde_json::json!(["bee"]));
    assert_eq!(listed[0]["known_as"], "bee");
    let again = msting(dir, &["models", "import", model.to_str().unwrap()]);
    assert_eq!(again.status.code(), Some(1));
    assert!(text(&again).contains("--force"), "{}", text(&again));

    let verified = msting(dir, &["models", "verify"]);
    assert!(verified.status.success() && text(&verified).contains("ok"), "{}", text(&verified));

    // A damaged copy under the known name: caught.
    let copy = dir.join("models/gemma-3-270m-q4_k_m.gguf");
    let mut bytes = std::fs::read(&copy).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 0xff;
    std::fs::write(&copy, &bytes).unwrap();
    let damaged = msting(dir, &["models", "verify"]);
    assert_eq!(damaged.status.code(), Some(1));
    assert!(text(&damaged).contains("MISMATCH") && text(&damaged).contains("import it again"), "{}", text(&damaged));

    // Not a model at all.
    let junk = dir.join("notes.gguf.txt");
    std::fs::write(&junk, "hello").unwrap();
    let refused = msting(dir, &["models", "import", junk.to_str().unwrap(), "--name", "notes"]);
    assert_eq!(refused.status.code(), Some(1));
    assert!(text(&refused).contains("is not a model STING can run"), "{}", text(&refused));
    assert!(!dir.join("models/notes.gguf").exists());

    // Names are names: a path out of the models folder removes nothing there.
    let outside = dir.join("outside.gguf");
    std::fs::write(&outside, "keep me").unwrap();
    for name in ["../outside", "../outside.gguf", "/etc/hostname.gguf", ".hidden"] {
        let refused = msting(dir, &["models", "rm", name, "--force"]);
        assert_eq!(refused.status.code(), Some(1), "{name}");
        assert!(text(&refused).contains("is not a model name"), "{name}: {}", text(&refused));
    }
    assert!(outside.exists(), "nothing outside the models folder is touched");

    // In use: kept unless forced.
    let kept = msting(dir, &["models", "rm", "gemma-3-270m-q4_k_m"]);
    assert_eq!(kept.status.code(), Some(1));
    assert!(text(&kept).contains("used by llm.models bee"), "{}", text(&kept));
    assert!(copy.exists());
    let removed = msting(dir, &["models", "rm", "gemma-3-270m-q4_k_m", "--force"]);
    assert!(removed.status.success() && !copy.exists(), "{}", text(&removed));
}
