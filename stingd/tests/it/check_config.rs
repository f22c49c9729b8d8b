//! stingd reads the same config.yml as msting, through the shared crate.

use std::process::Command;

fn stingd(config: &std::path::Path) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_stingd"))
        .arg("check-config")
        .arg("--config")
        .arg(config)
        .env_remove("STING_CONFIG")
        .output()
        .unwrap()
}

#[test]
fn the_default_config_is_accepted() {
    let file = std::path::Path::new(&sting_e2e::env::manifest_dir()).join("../conf/config.yml");
    let out = stingd(&file);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("1 model(s), default `bee`"));
}

#[test]
fn a_broken_config_is_refused_with_its_line() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("config.yml");
    std::fs::write(&file, "version: 1\nllm:\n  default_model: nope\n  models:\n    - name: bee\n      path: a.gguf\n")
        .unwrap();
    let out = stingd(&file);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains(&format!("{}:3:3: error[invalid-value] llm.default_model", file.display())), "{stderr}");
}
