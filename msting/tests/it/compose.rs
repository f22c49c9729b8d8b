//! The reference compose file: rendered from the same spec msting installs (this test fails when
//! `compose/docker-compose.yml` falls behind; `STING_UPDATE_COMPOSE=1` rewrites it), and valid
//! for Debian's docker-compose 1.29, the same hardening on every service.

use std::path::PathBuf;
use std::process::Command;

use msting::stack::{compose, spec};

fn reference() -> PathBuf {
    PathBuf::from(sting_e2e::env::manifest_dir()).join("../compose/docker-compose.yml")
}

#[test]
fn the_reference_compose_file_is_current_and_valid() {
    let rendered = compose::render(&spec::desired_on(&sting_config::Config::default(), spec::Host::default()));
    if std::env::var_os("STING_UPDATE_COMPOSE").is_some() {
        std::fs::write(reference(), &rendered).unwrap();
    }
    let committed = std::fs::read_to_string(reference()).unwrap_or_default();
    assert!(
        committed == rendered,
        "compose/docker-compose.yml is not what the spec renders: run `STING_UPDATE_COMPOSE=1 cargo test -p msting --test compose` and commit it"
    );
    let output =
        Command::new("docker-compose").arg("-f").arg(reference()).args(["config", "-q"]).output().unwrap_or_else(|e| {
            panic!("cannot run docker-compose ({e}): apt-get install docker-compose (tests/env/setup.sh does)")
        });
    assert!(output.status.success(), "docker-compose rejects it: {}", String::from_utf8_lossy(&output.stderr));

    let document: serde_yaml_ng::Value = serde_yaml_ng::from_str(&committed).unwrap();
    let services = document["services"].as_mapping().unwrap();
    assert_eq!(services.len(), 3, "vault, db, stingd by default");
    for (name, service) in services {
        let name = name.as_str().unwrap();
        assert_eq!(service["cap_drop"][0], "ALL", "{name}");
        assert_eq!(service["security_opt"][0], "no-new-privileges:true", "{name}");
        assert_eq!(service["read_only"], true, "{name}");
        assert!(service["mem_limit"].as_u64().unwrap() > 0, "{name}");
        assert_eq!(service["restart"], "unless-stopped", "{name}");
        assert_eq!(service["logging"]["options"]["max-size"], "10m", "{name}");
        assert!(service["healthcheck"]["test"].as_sequence().is_some(), "{name}");
        assert!(!committed.contains("docker.sock"));
    }
    assert_eq!(document["networks"]["sting_local"]["internal"], true);
    assert!(committed.starts_with("# STING-CE reference compose file") && committed.contains("sudo msting install"));
}

#[test]
fn stack_compose_renders_the_operators_own_config() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("conf")).unwrap();
    std::fs::write(
        dir.path().join("conf/config.yml"),
        "version: 1\nsystem:\n  project_name: second-stack\n  bind_address: 127.0.0.1\nservices:\n  stingd:\n    https_port: 9443\n",
    )
    .unwrap();
    let output = crate::common::msting_command()
        .arg("--install-dir")
        .arg(dir.path())
        .args(["stack", "compose"])
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let text = String::from_utf8(output.stdout).unwrap();
    assert!(text.contains("x-sting-project: second-stack") && text.contains("127.0.0.1:9443:8443"), "{text}");
    assert!(text.contains(&format!("{}/certs", dir.path().display())), "paths under this install: {text}");
}
