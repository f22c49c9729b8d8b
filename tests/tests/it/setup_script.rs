//! tests/env/setup.sh itself: what `--print-env` promises to the shell that evals it.

use std::path::Path;
use std::process::Command;

fn setup_script() -> std::path::PathBuf {
    Path::new(&sting_e2e::env::manifest_dir()).join("env/setup.sh")
}

const REQUIRED: [&str; 6] =
    ["STING_LLAMA_SERVER", "STING_TEST_MODEL", "STING_BAO", "STING_BASE_IMAGE", "STING_PG_URL", "STING_PEBBLE"];

#[test]
fn print_env_on_a_ready_machine_prints_only_key_value_lines() {
    let out = Command::new(setup_script()).arg("--print-env").output().unwrap();
    assert!(out.status.success(), "the environment is not ready:\n{}", String::from_utf8_lossy(&out.stderr));
    let stdout = String::from_utf8(out.stdout).unwrap();
    let mut keys = Vec::new();
    for line in stdout.lines() {
        let (key, value) = line.split_once('=').unwrap_or_else(|| panic!("not KEY=VALUE: {line:?}"));
        assert!(key.chars().all(|c| c.is_ascii_uppercase() || c == '_'), "bad key {key:?}");
        assert!(!value.is_empty() && !value.contains(char::is_whitespace), "{key} needs quoting: {value:?}");
        keys.push(key.to_string());
        if key != "STING_PG_URL" && key != "STING_REDIS_URL" && value.starts_with('/') {
            assert!(Path::new(value).exists(), "{key}={value} does not exist");
        }
    }
    for key in REQUIRED {
        assert!(keys.iter().any(|k| k == key), "{key} missing from:\n{stdout}");
    }
}

#[test]
fn print_env_without_the_components_names_each_missing_one_and_prints_nothing() {
    let empty = tempfile::tempdir().unwrap();
    let out = Command::new(setup_script()).arg("--print-env").env("STING_CACHE", empty.path()).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty(), "stdout must stay clean for eval: {:?}", String::from_utf8_lossy(&out.stdout));
    let stderr = String::from_utf8_lossy(&out.stderr);
    for missing in ["bao", "llama-server", "Gemma 3 270M", "cargo-deny"] {
        assert!(stderr.contains(missing), "no mention of {missing}:\n{stderr}");
    }
    assert!(stderr.contains("Run (as root): tests/env/setup.sh"), "{stderr}");
}

#[test]
fn unknown_arguments_are_refused() {
    let out = Command::new(setup_script()).arg("--frobnicate").output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown argument"));
}
